"""A job's S3 I/O: S3Prefix downloads into the job folder, folder and model.tar.gz uploads."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any, Protocol

from local_cloud.sagemaker.job_run import JobRequestError


class S3Client(Protocol):  # the subset of boto3's S3 client the runner uses
    def get_paginator(self, name: str) -> Any: ...
    def download_file(self, bucket: str, key: str, filename: str) -> None: ...
    def upload_file(self, filename: str, bucket: str, key: str) -> None: ...
    def get_object(self, **kwargs: Any) -> dict: ...


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise JobRequestError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def download_prefix(s3: S3Client, uri: str, destination: Path) -> list[Path]:
    """S3Prefix semantics: every object under the prefix, laid out relative to it.

    A prefix naming a file ("…/test-images.csv") keeps the file's own name; a folder given without
    its trailing slash ("…/datasets/digits") is read as the folder.
    """
    bucket, prefix = split_s3_uri(uri)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/")
    ]
    if not prefix or prefix.endswith("/"):
        base = prefix
    elif keys and all(key.startswith(prefix + "/") for key in keys):
        base = prefix + "/"
    else:
        base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    written = []
    for key in keys:
        target = destination / key[len(base) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
        written.append(target)
    return written


def upload_folder(s3: S3Client, folder: Path, uri: str) -> list[str]:
    bucket, prefix = split_s3_uri(uri)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    uploaded = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(folder).as_posix()
        s3.upload_file(str(path), bucket, key)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def upload_tarball(s3: S3Client, folder: Path, uri: str) -> None:
    """`folder`'s contents as a gzipped tar at `uri` (how SageMaker ships model.tar.gz)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    staged = folder.parent / (folder.name + ".tar.gz")
    staged.write_bytes(buffer.getvalue())
    bucket, key = split_s3_uri(uri)
    s3.upload_file(str(staged), bucket, key)
    staged.unlink()


def extract_tarball(s3: S3Client, uri: str, destination: Path) -> None:
    """A model.tar.gz from S3 unpacked into `destination` (what SageMaker does with ModelDataUrl)."""
    bucket, key = split_s3_uri(uri)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as tar:
        tar.extractall(destination, filter="data")


class FolderSync:
    """Uploads the files of a folder that are new or changed since the last `sync` (a job's checkpoints).

    Files deleted locally stay in S3; `synced` is every file name uploaded so far.
    """

    def __init__(self, s3: S3Client, folder: Path, uri: str) -> None:
        self.s3, self.folder = s3, folder
        self.bucket, prefix = split_s3_uri(uri)
        self.prefix = prefix + "/" if prefix and not prefix.endswith("/") else prefix
        self._seen: dict[Path, tuple[int, int]] = {}
        self.synced: set[str] = set()

    def sync(self) -> list[str]:
        uploaded = []
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            try:
                stat = path.stat()
            except FileNotFoundError:  # renamed or deleted by the job meanwhile
                continue
            if self._seen.get(path) == (stat.st_size, stat.st_mtime_ns):
                continue
            relative = path.relative_to(self.folder).as_posix()
            try:
                self.s3.upload_file(str(path), self.bucket, self.prefix + relative)
            except FileNotFoundError:
                continue
            self._seen[path] = (stat.st_size, stat.st_mtime_ns)
            self.synced.add(relative)
            uploaded.append(relative)
        return uploaded
