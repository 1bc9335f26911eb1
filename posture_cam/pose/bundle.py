"""The pose landmarker bundle: what it holds, and checking that a file is one.

A ``pose_landmarker_<variant>.task`` is a zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``, each a TFLite model with fixed tensor shapes and TFLite
metadata (mediapipe needs the inputs' NormalizationOptions). The flatbuffers schemas that
read TFLite files are loaded from the installed mediapipe wheel by file path, which does not
start the mediapipe runtime.
"""

from __future__ import annotations

import importlib.util
import os
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import InvalidModelError

__all__ = [
    "DETECTOR_INPUT",
    "DETECTOR_MEMBER",
    "DETECTOR_OUTPUTS",
    "LANDMARKS_INPUT",
    "LANDMARKS_MEMBER",
    "LANDMARKS_OUTPUTS",
    "Schemas",
    "check_tflite",
    "load_schemas",
    "validate_bundle",
]

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

# Tensor shapes each network must have; checked before metadata is written and when validating.
DETECTOR_INPUT = (1, 224, 224, 3)
DETECTOR_OUTPUTS = ((1, 2254, 12), (1, 2254, 1))
LANDMARKS_INPUT = (1, 256, 256, 3)
LANDMARKS_OUTPUTS = ((1, 195), (1, 1), (1, 256, 256, 1), (1, 64, 64, 39), (1, 117))


@dataclass(frozen=True)
class Schemas:
    """The generated flatbuffers modules of the installed mediapipe wheel."""

    tflite: ModuleType  # schema_py_generated: the TFLite model format
    metadata: ModuleType  # metadata_schema_py_generated: TFLite model metadata


@lru_cache(maxsize=1)
def load_schemas() -> Schemas | None:
    """Load the generated flatbuffers schemas from the installed mediapipe wheel.

    They are loaded by file path: importing them as ``mediapipe.tasks.metadata...`` would run
    ``mediapipe/__init__.py``, which starts the whole runtime (and in 1.2.3 the dotted import
    fails anyway, because that package rebinds ``mediapipe.tasks``).

    Returns:
        The schemas, or None when mediapipe (or a schema file in it) is not usable here.
    """
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    loaded: dict[str, ModuleType] = {}
    for stem in ("schema_py_generated", "metadata_schema_py_generated"):
        for root in spec.submodule_search_locations:
            candidate = Path(root) / "tasks" / "metadata" / f"{stem}.py"
            if candidate.is_file():
                module_spec = importlib.util.spec_from_file_location(
                    f"posture_cam._mediapipe_{stem}", candidate
                )
                if module_spec is None or module_spec.loader is None:
                    continue
                module = importlib.util.module_from_spec(module_spec)
                try:
                    module_spec.loader.exec_module(module)
                except Exception:  # noqa: BLE001 - any failure means "not usable here"
                    return None
                loaded[stem] = module
                break
    if len(loaded) != 2:
        return None
    return Schemas(
        tflite=loaded["schema_py_generated"], metadata=loaded["metadata_schema_py_generated"]
    )


def validate_bundle(path: str | os.PathLike[str]) -> None:
    """Check that a file is a usable pose landmarker bundle.

    Checks that it is a zip with ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``,
    that both are TFLite models with the expected input and output shapes, and that each input
    carries the normalisation metadata mediapipe needs.

    Args:
        path: The file to check.

    Raises:
        InvalidModelError: the file is missing or not a valid bundle; the message says why.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidModelError(f"{p}: no such file")
    try:
        if not zipfile.is_zipfile(p):
            raise InvalidModelError(
                f"{p}: not a pose landmarker bundle (a .task file is a zip archive; "
                "this file is not one)"
            )
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            missing = [m for m in (DETECTOR_MEMBER, LANDMARKS_MEMBER) if m not in names]
            if missing:
                raise InvalidModelError(
                    f"{p}: not a pose landmarker bundle: missing {', '.join(missing)} "
                    f"(it holds: {', '.join(sorted(names)) or 'nothing'})"
                )
            detector = zf.read(DETECTOR_MEMBER)
            landmarks = zf.read(LANDMARKS_MEMBER)
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise InvalidModelError(f"{p}: cannot read the bundle: {exc}") from exc
    for member, data, want_in, want_out in (
        (DETECTOR_MEMBER, detector, DETECTOR_INPUT, DETECTOR_OUTPUTS),
        (LANDMARKS_MEMBER, landmarks, LANDMARKS_INPUT, LANDMARKS_OUTPUTS),
    ):
        try:
            check_tflite(data, want_in, want_out, need_metadata=True)
        except ValueError as exc:
            raise InvalidModelError(f"{p}: {member}: {exc}") from exc


def check_tflite(
    data: bytes,
    want_input: tuple[int, ...],
    want_outputs: tuple[tuple[int, ...], ...],
    *,
    need_metadata: bool,
) -> None:
    """Check a TFLite model's identifier, tensor shapes and (optionally) input metadata.

    Raises:
        ValueError: the model is not as expected; the message says how.
    """
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError("not a TFLite model (no TFL3 identifier)")
    schemas = load_schemas()
    if schemas is None:
        return  # Without the schemas only the identifier can be checked.
    try:
        model = schemas.tflite.Model.GetRootAsModel(data, 0)
        graph = model.Subgraphs(0)
        inputs = [_shape(graph.Tensors(graph.Inputs(i))) for i in range(graph.InputsLength())]
        outputs = [_shape(graph.Tensors(graph.Outputs(i))) for i in range(graph.OutputsLength())]
    except Exception as exc:  # noqa: BLE001 - a corrupt flatbuffer can raise almost anything
        raise ValueError(f"cannot parse the TFLite model ({type(exc).__name__}: {exc})") from exc
    if inputs != [want_input]:
        raise ValueError(f"input shape {inputs}, expected [{want_input}]")
    if outputs != list(want_outputs):
        raise ValueError(f"output shapes {outputs}, expected {list(want_outputs)}")
    if not need_metadata:
        return
    buf = _metadata_buffer(model)
    if buf is None:
        raise ValueError(
            "no TFLite metadata (mediapipe needs the input's NormalizationOptions metadata)"
        )
    try:
        meta = schemas.metadata.ModelMetadata.GetRootAsModelMetadata(buf, 0)
        tensor = meta.SubgraphMetadata(0).InputTensorMetadata(0)
        kinds = [tensor.ProcessUnits(i).OptionsType() for i in range(tensor.ProcessUnitsLength())]
    except Exception as exc:  # noqa: BLE001 - as above
        raise ValueError(f"cannot parse the TFLite metadata ({exc})") from exc
    if schemas.metadata.ProcessUnitOptions.NormalizationOptions not in kinds:
        raise ValueError("the input has no NormalizationOptions metadata")


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(tensor.Shape(j)) for j in range(tensor.ShapeLength()))


def _metadata_buffer(model: Any) -> bytes | None:
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == b"TFLITE_METADATA":
            buffer = model.Buffers(entry.Buffer())
            if buffer is None or buffer.DataLength() == 0:
                return None
            return bytes(buffer.DataAsNumpy().tobytes())
    return None
