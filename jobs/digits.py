"""Writes scikit-learn's bundled handwritten digits in MNIST's raw IDX layout (the local dataset).

Nothing can be downloaded here, so the 1797 8x8 digits that ship inside scikit-learn stand in for
MNIST. They are written exactly as the MNIST distribution lays its files out, so preprocessing
reads them with the same code path. Importable without torch: the local cloud uses it to upload
the sample dataset. scikit-learn is imported lazily; the jobs image does not need it.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

import contract

TEST_COUNT = 360  # 1797 images: 1437 train, 360 test
SPLIT_SEED = 0
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes: magic (0, 0, type, ndim), big-endian int32 dims, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, IDX_UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.tobytes()


def digits_split() -> dict[str, np.ndarray]:
    """The digits as uint8 arrays keyed like contract.RAW_FILES, split deterministically."""
    from sklearn.datasets import load_digits  # lazy: only the helper needs scikit-learn

    digits = load_digits()
    # Rescale the 0..16 intensities to MNIST's 0..255 so both datasets share one pixel scale.
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    test, train = order[:TEST_COUNT], order[TEST_COUNT:]
    return {
        "train_images": images[train],
        "train_labels": labels[train],
        "test_images": images[test],
        "test_labels": labels[test],
    }


def write_digits(destination: str | Path, compress: bool = False) -> list[Path]:
    """Write the four raw files into `destination` (gzipped when `compress`); return their paths."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for key, array in digits_split().items():
        data = idx_bytes(array)
        name = contract.RAW_FILES[key]
        if compress:
            path = destination / f"{name}.gz"
            # mtime=0 keeps the gzip bytes identical run to run (stable uploads and hashes).
            path.write_bytes(gzip.compress(data, mtime=0))
        else:
            path = destination / name
            path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--gzip"):
        sys.exit("usage: python -m jobs.digits DESTINATION_DIR [--gzip]")
    for written_path in write_digits(sys.argv[1], compress=len(sys.argv) == 3):
        print(written_path)
