"""The functions' code package: Powertools bundled from the pinned wheelhouse, no layer, offline."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import lambda_bundle
from infra.constructs import functions as fns
from infra.lambda_bundle import BundleError
from tests.infra.templates import resources

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = [spec.name for spec in fns.ALL_FUNCTIONS]
# What the Lambda Python runtime itself provides ("Your code runs in an environment that includes
# the SDK for Python (Boto3)", Building Lambda functions with Python): boto3 and its dependencies.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six")


def _asset_dir(synthesized) -> Path:
    (asset_dir,) = {d for d in synthesized.outdir.glob("asset.*") if (d / "lambdas").exists()}
    return asset_dir


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_asset_holds_powertools_at_the_pinned_version(synthesized):
    asset = _asset_dir(synthesized)
    assert (asset / "aws_lambda_powertools" / "__init__.py").is_file()
    metadata = (asset / "aws_lambda_powertools-3.37.0.dist-info" / "METADATA").read_text()
    assert "Version: 3.37.0" in metadata
    assert "aws-lambda-powertools==3.37.0" in (ROOT / "lambdas" / "requirements.txt").read_text()
    # Nothing machine-specific: no bytecode, no scripts with this machine's interpreter path.
    assert not [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert not (asset / "bin").exists() and not list(asset.glob("*.data"))
    assert not (asset / "lambdas" / "requirements.txt").exists()


def test_no_layer_and_no_ssm_parameter_in_the_template(synthesized):
    assert "/aws/service/powertools" not in json.dumps(synthesized.pipeline)
    assert not any("Ssm" in name for name in synthesized.pipeline.get("Parameters", {}))
    for function in resources(synthesized.pipeline, "AWS::Lambda::Function").values():
        assert "Layers" not in function["Properties"]


def _lambda_runtime(tmp_path: Path) -> Path:
    """A folder with what the Lambda runtime provides (boto3 and its dependencies) and nothing else."""
    runtime = tmp_path / "var-runtime"
    runtime.mkdir()
    for name in RUNTIME_PROVIDED:
        module = __import__(name)
        assert module.__file__ is not None
        source = Path(module.__file__)
        source = source.parent if source.name == "__init__.py" else source
        (runtime / source.name).symlink_to(source)
    return runtime


def test_every_handler_imports_from_the_asset_alone(synthesized, tmp_path):
    asset = _asset_dir(synthesized)
    runtime = _lambda_runtime(tmp_path)
    # -I -S: no site-packages, no PYTHONPATH, no user site; the path is /var/task then the runtime's.
    script = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{str(asset)!r}, {str(runtime)!r}]\n"
        f"for name in {HANDLERS!r}:\n"
        "    assert callable(importlib.import_module(f'lambdas.{name}.handler').handler)\n"
        "import aws_lambda_powertools\n"
        f"assert aws_lambda_powertools.__file__.startswith({str(asset)!r}), aws_lambda_powertools.__file__\n"
        "leaked = [m for m in ('aws_cdk', 'moto', 'ops', 'local_cloud', 'jobs', 'tests') if m in sys.modules]\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_SERVICE_NAME": "test"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not list(asset.rglob("__pycache__"))  # -B: the check left the asset as synthesized


def test_the_local_cloud_runs_the_packaged_powertools_not_the_venvs(synthesized):
    # local_cloud/lambda_runtime.py starts the venv's interpreter with PYTHONPATH = the unzipped
    # package; PYTHONPATH comes before site-packages, so the package's copy is the one imported.
    asset = _asset_dir(synthesized)
    result = subprocess.run(
        [sys.executable, "-B", "-c", "import aws_lambda_powertools; print(aws_lambda_powertools.__file__)"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(asset)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(asset))


def test_every_dependency_of_the_bundled_wheels_is_pinned(synthesized):
    requirements = pytest.importorskip("packaging.requirements")
    utils = pytest.importorskip("packaging.utils")
    pinned = {utils.canonicalize_name(name) for name, _ in lambda_bundle.pins()}
    # The functions' runtime, for the markers.
    environment = {"python_version": "3.14", "python_full_version": "3.14.0", "platform_machine": "aarch64"}
    environment |= {"sys_platform": "linux", "platform_system": "Linux", "implementation_name": "cpython"}
    environment |= {"platform_python_implementation": "CPython", "os_name": "posix", "extra": ""}
    for metadata in _asset_dir(synthesized).glob("*.dist-info/METADATA"):
        for line in metadata.read_text().splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            requirement = requirements.Requirement(line.removeprefix("Requires-Dist:").strip())
            if requirement.marker and not requirement.marker.evaluate(environment):
                continue  # an extra, or another platform
            assert utils.canonicalize_name(requirement.name) in pinned, (metadata.parent.name, line)


def test_the_bundle_is_deterministic_and_matches_the_synthesized_asset(synthesized, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for target in (first, second):
        target.mkdir()
        lambda_bundle.bundle(target)
    assert _fingerprint(first) == _fingerprint(second) == _fingerprint(_asset_dir(synthesized))


def test_the_inputs_hash_covers_every_code_file_the_bundle_copies(tmp_path):
    lambda_bundle.bundle(tmp_path)
    copied = {
        p.relative_to(tmp_path).as_posix()
        for package in lambda_bundle.CODE_PACKAGES
        for p in (tmp_path / package).rglob("*")
        if p.is_file()
    }
    hashed = {
        p.relative_to(ROOT).as_posix()
        for package in lambda_bundle.CODE_PACKAGES
        for p in lambda_bundle._code_files(ROOT / package)
    }
    assert copied == hashed and any(name.startswith("contract/") for name in hashed)


def test_another_wheel_gives_another_inputs_hash(tmp_path):
    house, requirements = _house(tmp_path, "demo==1.0\n", stamp="demo==1.0\n")
    wheel = _wheel(house, "demo", "1.0")
    before = lambda_bundle.inputs_hash(house, requirements)
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("demo/more.py", "MORE = 2\n")
    assert lambda_bundle.inputs_hash(house, requirements) != before


def test_a_synth_into_an_outdir_holding_the_package_does_not_bundle_again(synthesized, tmp_path, monkeypatch):
    from tests.infra.conftest import synthesize

    asset = _asset_dir(synthesized)
    shutil.copytree(asset, tmp_path / "out" / asset.name)

    def must_not_bundle(target: Path, *args, **kwargs) -> None:
        raise AssertionError(f"bundled again into {target}")

    monkeypatch.setattr(lambda_bundle, "bundle", must_not_bundle)
    again = synthesize(tmp_path / "out")
    assert _fingerprint(_asset_dir(again)) == _fingerprint(asset)


def test_the_bundle_targets_the_functions_runtime_and_architecture():
    platform = dict(zip(lambda_bundle.PLATFORM[::2], lambda_bundle.PLATFORM[1::2], strict=True))
    assert fns.RUNTIME.name == f"python{platform['--python-version']}"
    assert fns.ARCHITECTURE.name == "arm64" and platform["--platform"].endswith("_aarch64")


# --- the wheelhouse's failure modes, each naming what to do ------------------------------------


def _wheel(folder: Path, name: str, version: str, *, pure: bool = True) -> Path:
    path = folder / f"{name}-{version}-py3-none-{'any' if pure else 'manylinux2014_aarch64'}.whl"
    tag = "py3-none-any" if pure else "cp314-cp314-manylinux2014_aarch64"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "VALUE = 1\n")
        archive.writestr(f"{name}-{version}.data/scripts/tool", "#!/machine/specific/python\n")
        archive.writestr(f"{name}-{version}.data/purelib/{name}_extra.py", "EXTRA = 1\n")
        archive.writestr(
            f"{name}-{version}.dist-info/WHEEL",
            f"Wheel-Version: 1.0\nRoot-Is-Purelib: {'true' if pure else 'false'}\nTag: {tag}\n",
        )
    return path


def _house(tmp_path: Path, requirements_text: str, *, stamp: str | None = None) -> tuple[Path, Path]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text)
    house = tmp_path / "house"
    house.mkdir()
    if stamp is not None:
        (house / "requirements.txt").write_text(stamp)
    return house, requirements


def test_a_missing_wheelhouse_names_make_setup(tmp_path):
    house, requirements = _house(tmp_path, "demo-pkg==1.0\n")
    with pytest.raises(BundleError, match=r"wheelhouse .* is missing: run `make setup`"):
        lambda_bundle.bundle(tmp_path / "out", house, requirements)
    assert not (tmp_path / "out").exists()


def test_a_stale_wheelhouse_names_make_setup(tmp_path):
    house, requirements = _house(tmp_path, "demo-pkg==2.0\n", stamp="demo-pkg==1.0\n")
    _wheel(house, "demo_pkg", "1.0")
    with pytest.raises(BundleError, match=r"built from another lambdas/requirements.txt: run `make setup`"):
        lambda_bundle.wheels(house, requirements)


def test_an_unpinned_requirement_is_refused(tmp_path):
    house, requirements = _house(tmp_path, "# comment\ndemo-pkg>=1.0\n", stamp="# comment\ndemo-pkg>=1.0\n")
    with pytest.raises(BundleError, match=r"requirements.txt:2: 'demo-pkg>=1.0' is not an exact pin"):
        lambda_bundle.wheels(house, requirements)


def test_a_compiled_wheel_is_refused_by_name(tmp_path):
    text = "demo-pkg==1.0\n"
    house, requirements = _house(tmp_path, text, stamp=text)
    wheel = _wheel(house, "demo_pkg", "1.0", pure=False)
    with pytest.raises(BundleError, match=f"{wheel.name} is not a pure-Python wheel"):
        lambda_bundle._unpack(wheel, tmp_path / "out")


def test_a_pure_wheel_unpacks_its_code_and_purelib_but_not_its_scripts(tmp_path):
    text = "Demo.Pkg==1.0  # normalised names match\n"
    house, requirements = _house(tmp_path, text, stamp=text)
    _wheel(house, "demo_pkg", "1.0")
    (wheel,) = lambda_bundle.wheels(house, requirements)
    out = tmp_path / "out"
    lambda_bundle._unpack(wheel, out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "demo_pkg-1.0.dist-info/WHEEL",
        "demo_pkg/__init__.py",
        "demo_pkg_extra.py",
    ]
