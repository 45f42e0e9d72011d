"""The functions' code package: lambdas/ + contract/ + the wheels pinned in lambdas/requirements.txt.

CDK-free (stdlib only), so `make setup` can build the wheelhouse before anything else, and the
CDK local bundler (infra/constructs/functions.py) stays a thin call:

- `python -m infra.lambda_bundle download` (run by `make setup`): `pip download` every pinned
  wheel for the functions' platform (Python 3.14, arm64) into WHEELHOUSE, once per
  lambdas/requirements.txt (a copy of it in the wheelhouse is the key).
- `bundle(target)` (at synth, no network, no Docker, no pip): copies the code and unpacks those
  wheels into `target`. The wheels are pure Python (`Root-Is-Purelib: true`, platform `any`), so
  unpacking is what an installer does; anything else is refused with the wheel's name.
- `inputs_hash()`: a digest of everything `bundle` reads (the code files, the wheels, this
  module), which CDK uses as the asset hash, so a synth into an out-dir that already holds the
  package skips bundling.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = PROJECT_ROOT / "lambdas" / "requirements.txt"
WHEELHOUSE = PROJECT_ROOT / ".wheels" / "lambda"
STAMP = WHEELHOUSE / "requirements.txt"  # the requirements the wheelhouse was built from
CODE_PACKAGES = ("lambdas", "contract")
CODE_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")
# The functions' runtime (lambda_.Runtime.PYTHON_3_14, Architecture.ARM_64).
PLATFORM = ("--platform", "manylinux2014_aarch64", "--python-version", "3.14", "--implementation", "cp")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")


class BundleError(RuntimeError):
    """The wheelhouse is missing, stale or holds a wheel this bundler cannot unpack."""


def pins(requirements: Path = REQUIREMENTS) -> list[tuple[str, str]]:
    """(name, version) of each line; every line must be an exact pin (`name==version`), and the
    list must be complete (it is installed with no dependency resolution)."""
    found = []
    for number, raw in enumerate(requirements.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if not match:
            raise BundleError(f"{requirements.name}:{number}: {line!r} is not an exact pin (name==version)")
        found.append((match[1], match[2]))
    return found


def download(wheelhouse: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> None:
    """Fills the wheelhouse from the package index (the only step that needs the network)."""
    pins(requirements)  # refuse unpinned lines before downloading anything
    if wheelhouse.exists():
        shutil.rmtree(wheelhouse)
    wheelhouse.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
        + ["--only-binary=:all:", *PLATFORM, "--dest", str(wheelhouse), "-r", str(requirements)],
        check=True,
    )
    shutil.copyfile(requirements, wheelhouse / STAMP.name)  # last: a half-built wheelhouse has no key


def wheels(wheelhouse: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> list[Path]:
    """The wheel of each pin, in requirements order; BundleError naming `make setup` otherwise."""
    stamp = wheelhouse / STAMP.name
    if not stamp.is_file():
        raise BundleError(
            f"The Lambda wheelhouse {_shown(wheelhouse)}/ is missing: run `make setup` "
            "(it downloads the wheels pinned in lambdas/requirements.txt once; synth then needs no network)."
        )
    if stamp.read_bytes() != requirements.read_bytes():
        raise BundleError(
            f"The Lambda wheelhouse {_shown(wheelhouse)}/ was built from another lambdas/requirements.txt: "
            "run `make setup` to rebuild it."
        )
    found = []
    for name, version in pins(requirements):
        matches = sorted(
            p
            for p in wheelhouse.glob("*.whl")
            if _normalise(p.name.split("-")[0]) == _normalise(name) and p.name.split("-")[1] == version
        )
        if len(matches) != 1:
            raise BundleError(
                f"The Lambda wheelhouse {_shown(wheelhouse)}/ has {len(matches)} wheels for {name}=={version}: "
                "run `make setup` to rebuild it."
            )
        found.append(matches[0])
    return found


def bundle(target: Path, wheelhouse: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> None:
    """Writes the code package into `target` (an empty folder): the code, then the wheels."""
    selected = wheels(wheelhouse, requirements)  # fail before writing anything
    for package in CODE_PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, target / package, ignore=CODE_IGNORED)
    for wheel in selected:
        _unpack(wheel, target)


def inputs_hash(wheelhouse: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> str:
    """SHA-256 of what `bundle` writes the package from: each code file (path and bytes, with the
    same files ignored), each selected wheel's bytes, and this module's source (how they are
    unpacked). Equal inputs give an equal package, so the digest can stand for its content."""
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted(_code_files(PROJECT_ROOT / package)):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for wheel in wheels(wheelhouse, requirements):
        digest.update(wheel.name.encode() + b"\0" + hashlib.sha256(wheel.read_bytes()).digest())
    digest.update(hashlib.sha256(Path(__file__).read_bytes()).digest())
    return digest.hexdigest()


def _code_files(root: Path) -> list[Path]:
    """The files shutil.copytree(root, ..., ignore=CODE_IGNORED) copies."""
    found = []
    for folder, subfolders, names in os.walk(root):
        ignored = CODE_IGNORED(folder, subfolders + names)
        subfolders[:] = sorted(d for d in subfolders if d not in ignored)
        found += [Path(folder, n) for n in names if n not in ignored]
    return found


def _unpack(wheel: Path, target: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (wheel_file,) = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/WHEEL", n)]
        metadata = HeaderParser().parsestr(archive.read(wheel_file).decode())
        tags = metadata.get_all("Tag") or []
        if metadata.get("Root-Is-Purelib", "").lower() != "true" or not all(t.endswith("-any") for t in tags):
            raise BundleError(
                f"{wheel.name} is not a pure-Python wheel (tags {tags}): the local bundler only unpacks "
                "pure wheels; a compiled dependency needs a platform install (pip --platform) instead."
            )
        for name in sorted(names):
            if name.endswith("/"):
                continue
            parts = name.split("/")
            if ".." in parts or name.startswith("/"):
                raise BundleError(f"{wheel.name}: unsafe path {name!r}")
            if parts[0].endswith(".data"):
                # purelib/platlib belong in the package root; scripts, headers and data files are
                # not importable code and have no place in a function package.
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.read(name))


def _normalise(name: str) -> str:
    # PEP 503 names and wheel file names (which use "_"): compare both in one form.
    return re.sub(r"[-_.]+", "_", name).lower()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    if argv != ["download"]:
        print("usage: python -m infra.lambda_bundle download", file=sys.stderr)
        return 2
    download()
    print(f"{_shown(WHEELHOUSE)}/: " + ", ".join(p.name for p in wheels()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
