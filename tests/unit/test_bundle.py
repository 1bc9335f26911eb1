"""The bundle format: checking that a file is a pose landmarker bundle, and writing one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from posture_cam.pose import bundle, bundle_writer, models
from tests.unit.model_bundles import tiny_bundle_bytes, tiny_tflite

# ---- bundle validation -------------------------------------------------------------------------


def test_tiny_bundle_is_valid_and_aligned(tmp_path: Path, tiny_bundle: bytes) -> None:
    path = tmp_path / "ok.task"
    path.write_bytes(tiny_bundle)
    models.validate_bundle(path)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [bundle.DETECTOR_MEMBER, bundle.LANDMARKS_MEMBER]
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED
            data_start = info.header_offset + 30 + len(info.filename)
            assert data_start % 4 == 0
            # 1 to 4 zero bytes of padding before each local header
            assert tiny_bundle[info.header_offset - 1] == 0 or info.header_offset == 0


def test_non_zip_is_rejected_clearly(tmp_path: Path) -> None:
    path = tmp_path / "model.task"
    path.write_bytes(b"this is not a model")
    with pytest.raises(models.InvalidModelError, match="not a pose landmarker bundle"):
        models.validate_bundle(path)


def test_zip_without_members_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "model.task"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
        zf.writestr(bundle.DETECTOR_MEMBER, b"x")
    with pytest.raises(models.InvalidModelError) as info:
        models.validate_bundle(path)
    message = str(info.value)
    assert bundle.LANDMARKS_MEMBER in message
    assert "readme.txt" in message


def test_member_that_is_not_tflite_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "model.task"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(bundle.DETECTOR_MEMBER, b"garbage!" * 4)
        zf.writestr(bundle.LANDMARKS_MEMBER, b"garbage!" * 4)
    with pytest.raises(models.InvalidModelError, match="not a TFLite model"):
        models.validate_bundle(path)


def test_bundle_without_metadata_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bare.task"
    path.write_bytes(tiny_bundle_bytes(with_metadata=False))
    with pytest.raises(models.InvalidModelError, match="NormalizationOptions"):
        models.validate_bundle(path)


def test_wrong_shapes_are_rejected(tmp_path: Path) -> None:
    detector = tiny_tflite((1, 128, 128, 3), bundle.DETECTOR_OUTPUTS)
    path = tmp_path / "odd.task"
    path.write_bytes(
        bundle_writer.aligned_stored_zip(
            ((bundle.DETECTOR_MEMBER, detector), (bundle.LANDMARKS_MEMBER, detector))
        )
    )
    with pytest.raises(models.InvalidModelError, match="input shape"):
        models.validate_bundle(path)


def test_invalid_model_error_is_a_value_error() -> None:
    assert issubclass(models.InvalidModelError, ValueError)
    assert issubclass(models.InvalidModelError, models.ModelUnavailableError)


# ---- the zip writer ---------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(1, 1), (4, 8), (5, 7), (0, 3)])
def test_aligned_zip_round_trips(sizes: tuple[int, int]) -> None:
    members = (("a_long_name.tflite", b"a" * sizes[0]), ("b.bin", b"b" * sizes[1]))
    data = bundle_writer.aligned_stored_zip(members)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        for (name, payload), info in zip(members, zf.infolist(), strict=True):
            assert zf.read(name) == payload
            assert (info.header_offset + 30 + len(name)) % 4 == 0
            assert info.date_time == bundle_writer.ZIP_DATE_TIME


def test_empty_end_record_points_at_itself(tiny_bundle: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(tiny_bundle)) as zf:
        landmarks = zf.read(bundle.LANDMARKS_MEMBER)
    record = landmarks[-22:]
    assert record[:4] == b"PK\x05\x06"
    assert int.from_bytes(record[16:20], "little") == len(landmarks) - 22
