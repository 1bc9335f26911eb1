"""Files known by size and SHA-256: Google's bundles, our offline builds and their inputs.

The numbers are Google's published sizes and hashes and those of our builds. The offline
build reproduces Google's lite bundle byte for byte; for full and heavy it gives the
reference build's bytes, which differ from Google's published bundles by 32 bytes of
metadata.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Digest",
    "INPUTS",
    "OFFICIAL",
    "OFFLINE_BUILD",
    "bytes_digest",
    "file_digest",
]


@dataclass(frozen=True)
class Digest:
    """A file's identity: its size in bytes and its SHA-256 (lower-case hex)."""

    size_bytes: int
    sha256: str


# Google's published bundles (float16/1).
OFFICIAL: dict[str, Digest] = {
    "lite": Digest(5_777_746, "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"),
    "full": Digest(9_398_198, "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1"),
    "heavy": Digest(30_664_242, "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"),
}

# What the offline build produces with flatbuffers 2.0 ... 25.9.23 (lite: Google's own file).
OFFLINE_BUILD: dict[str, Digest] = {
    "lite": OFFICIAL["lite"],
    "full": Digest(9_398_230, "ffeeedfd2f1d1423af551a3bcc79c5b71a1186d33e9a4902c5d6cca60851afa6"),
    "heavy": Digest(30_664_274, "b4f51b072785e0c411efcea7f1aa8593aec77d68a6422a3ab10864dcf1a10d19"),
}

# Inputs of the offline build: Google's legacy files, checked before anything is built from them.
INPUTS: dict[str, Digest] = {
    "detector_wheel": Digest(
        2_959_046, "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
    ),
    "detector_npm": Digest(
        2_962_288, "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
    ),
    "landmarks_lite": Digest(
        2_819_824, "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
    ),
    "landmarks_full": Digest(
        6_440_512, "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
    ),
    "landmarks_heavy": Digest(
        27_709_200, "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
    ),
}


def file_digest(path: Path) -> Digest:
    """Size and SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return Digest(size, h.hexdigest())


def bytes_digest(data: bytes) -> Digest:
    """Size and SHA-256 of ``data``."""
    return Digest(len(data), hashlib.sha256(data).hexdigest())
