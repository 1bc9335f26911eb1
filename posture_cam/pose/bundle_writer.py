"""Writing a pose landmarker bundle as Google's writer does: TFLite metadata, aligned zip.

Google's legacy landmark files carry no metadata, which mediapipe needs. This module adds the
metadata Google's own bundles carry, every string as in them, and packs
both models into an uncompressed zip laid out like Google's: with these, the offline lite
build is byte-identical to Google's published lite bundle.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .bundle import (
    DETECTOR_INPUT,
    DETECTOR_OUTPUTS,
    LANDMARKS_INPUT,
    LANDMARKS_OUTPUTS,
    Schemas,
    check_tflite,
)

__all__ = [
    "DETECTOR_METADATA",
    "LANDMARKS_METADATA",
    "ZIP_DATE_TIME",
    "MetadataSpec",
    "TensorSpec",
    "aligned_stored_zip",
    "with_metadata",
]


@dataclass(frozen=True)
class TensorSpec:
    """One tensor's metadata; ``mean``, ``std`` and ``value_range`` for image inputs only.

    Inputs are RGB images normalised as ``(pixel - mean) / std`` into ``value_range``.
    """

    name: str
    description: str | None = None
    mean: float | None = None
    std: float | None = None
    value_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class MetadataSpec:
    """A model's metadata: names and descriptions, tensors, version and author."""

    name: str
    description: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    input_shape: tuple[int, ...]
    output_shapes: tuple[tuple[int, ...], ...]
    version: str = "1"
    author: str = "MediaPipe"
    min_parser_version: str = "1.0.0"


# Google's detector metadata (it was copied from the face detector, hence the name).
DETECTOR_METADATA = MetadataSpec(
    name="Full Range Face Detection",
    description="Detects human face with frontal camera",
    inputs=(
        TensorSpec(
            "image", "Input image to be detected", mean=127.5, std=127.5, value_range=(-1.0, 1.0)
        ),
    ),
    outputs=(
        TensorSpec("raw boxes/keypoints", "Undecoded face bboxes location and keypoints"),
        TensorSpec("scores", "Scores of the detected bboxes."),
    ),
    input_shape=DETECTOR_INPUT,
    output_shapes=DETECTOR_OUTPUTS,
)

LANDMARKS_METADATA = MetadataSpec(
    name="Pose Landmark",
    description="Detects human pose landmarks with frontal camera.",
    inputs=(
        TensorSpec(
            "image", "Input image to be landmarked", mean=0.0, std=255.0, value_range=(0.0, 1.0)
        ),
    ),
    outputs=(
        TensorSpec("landmarks", "Pose landmarks"),
        TensorSpec("presence", "Presence of pose."),
        TensorSpec("segmentation_mask", "Segmentation mask for pose."),
        TensorSpec("heat_map", "Heat map for pose."),
        TensorSpec("world_landmarks", "World landmarks for pose."),
    ),
    input_shape=LANDMARKS_INPUT,
    output_shapes=LANDMARKS_OUTPUTS,
)

# Google's lite bundle stamps every entry with this time (and the build stays reproducible).
ZIP_DATE_TIME = (2023, 4, 27, 18, 38, 56)
# TFLite maps uncompressed members straight from the file when their data is 4-byte aligned.
_ZIP_ALIGNMENT = 4


def with_metadata(model_bytes: bytes, spec: MetadataSpec, schemas: Schemas) -> bytes:
    """Return the model repacked with ``spec`` as its TFLITE_METADATA, as Google's writer does.

    Google's populator unpacks the model into the flatbuffers object API, sets or replaces the
    metadata buffer, packs it again and appends an empty zip end record (its way of attaching
    associated files, of which there are none here). Doing the same steps gives the same bytes.

    Raises:
        ValueError: the model's tensor shapes are not those ``spec`` is for.
    """
    import flatbuffers

    check_tflite(model_bytes, spec.input_shape, spec.output_shapes, need_metadata=False)
    tfl = schemas.tflite
    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(model_bytes, 0))
    buffer = tfl.BufferT()
    buffer.data = _metadata_bytes(spec, schemas.metadata)
    if model.metadata is None:
        model.metadata = []
    for entry in model.metadata:
        if entry.name.decode("utf-8") == "TFLITE_METADATA":
            model.buffers[entry.buffer] = buffer
            break
    else:
        model.buffers.append(buffer)
        entry = tfl.MetadataT()
        entry.name = "TFLITE_METADATA"
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"TFL3")
    packed = bytes(builder.Output())
    # Empty end-of-central-directory record whose "central directory offset" is its own
    # position, exactly what zipfile writes when it appends nothing to a non-zip file.
    return packed + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, len(packed), 0)


def _metadata_bytes(spec: MetadataSpec, md: ModuleType) -> bytes:
    import flatbuffers

    meta = md.ModelMetadataT()
    meta.name = spec.name
    meta.description = spec.description
    meta.version = spec.version
    meta.author = spec.author
    graph = md.SubGraphMetadataT()
    graph.inputTensorMetadata = [_tensor_metadata(t, md, is_input=True) for t in spec.inputs]
    graph.outputTensorMetadata = [_tensor_metadata(t, md, is_input=False) for t in spec.outputs]
    meta.subgraphMetadata = [graph]
    meta.minParserVersion = spec.min_parser_version
    builder = flatbuffers.Builder(0)
    builder.Finish(meta.Pack(builder), b"M001")
    first = bytes(builder.Output())
    # Google's populator reads the metadata back and packs it once more; do the same, so any
    # difference between the two packings ends up as in Google's files.
    again = md.ModelMetadataT.InitFromObj(md.ModelMetadata.GetRootAsModelMetadata(first, 0))
    builder = flatbuffers.Builder(0)
    builder.Finish(again.Pack(builder), b"M001")
    return bytes(builder.Output())


def _tensor_metadata(spec: TensorSpec, md: ModuleType, *, is_input: bool) -> Any:
    tensor = md.TensorMetadataT()
    tensor.name = spec.name
    tensor.description = spec.description
    content = md.ContentT()
    stats = md.StatsT()
    if is_input:
        content.contentPropertiesType = md.ContentProperties.ImageProperties
        image = md.ImagePropertiesT()
        image.colorSpace = md.ColorSpaceType.RGB
        content.contentProperties = image
        unit = md.ProcessUnitT()
        unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
        norm = md.NormalizationOptionsT()
        norm.mean = [spec.mean]
        norm.std = [spec.std]
        unit.options = norm
        tensor.processUnits = [unit]
        if spec.value_range is not None:
            stats.min = [spec.value_range[0]]
            stats.max = [spec.value_range[1]]
    else:
        content.contentPropertiesType = md.ContentProperties.FeatureProperties
        content.contentProperties = md.FeaturePropertiesT()
    tensor.content = content
    tensor.stats = stats
    return tensor


def aligned_stored_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """Write ``members`` as a stored zip whose member data start on 4-byte boundaries.

    Like mediapipe's bundle writer: 1 to 4 zero bytes go before each local header (4 when the
    data would already be aligned), and the central directory records where each header is.
    Every entry: :data:`ZIP_DATE_TIME`, version 2.0, no flags, no extra field, no comment,
    made on Unix with permissions rw-------.
    """
    out = io.BytesIO()
    central = io.BytesIO()
    dos_time, dos_date = _dos_date_time(ZIP_DATE_TIME)
    for name, data in members:
        raw_name = name.encode("ascii")
        header_len = 30 + len(raw_name)
        out.write(b"\0" * (_ZIP_ALIGNMENT - (out.tell() + header_len) % _ZIP_ALIGNMENT))
        offset = out.tell()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        out.write(
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,  # version needed: 2.0, plain stored data
                0,  # flags
                0,  # method: stored
                dos_time,
                dos_date,
                crc,
                len(data),
                len(data),
                len(raw_name),
                0,  # no extra field
            )
        )
        out.write(raw_name)
        out.write(data)
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                (3 << 8) | 20,  # made by: Unix, zip 2.0
                20,
                0,
                0,
                dos_time,
                dos_date,
                crc,
                len(data),
                len(data),
                len(raw_name),
                0,
                0,
                0,  # disk number
                0,  # internal attributes
                0o600 << 16,  # external attributes: a regular file, rw-------
                offset,
            )
        )
        central.write(raw_name)
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    out.write(
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            len(members),
            len(members),
            len(directory),
            start,
            0,
        )
    )
    return out.getvalue()


def _dos_date_time(stamp: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = stamp
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
