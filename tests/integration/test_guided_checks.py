"""The guided checks end to end on committed material: CLI on videos, Thomas on lying renders.

Videos are built in a temporary folder from the small renders in ``tests/data/guided``
(``bench/check_material.py``), encoded as H.264 like a phone's and read back by the CLI.
The pose models come from the model store (built offline on first use).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from bench import check_material
from posture_cam.cli.main import EXIT_NOT_MEASURABLE, EXIT_OK, EXIT_UNREADABLE, main
from posture_cam.guided import thomas_frame
from posture_cam.pose.detect import PoseDetector
from posture_cam.pose.models import ModelFile

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "guided"


@pytest.fixture(scope="module")
def material() -> ModuleType:
    return check_material


WIDTH = 80


@pytest.fixture(autouse=True)
def _terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI wraps to ``$COLUMNS``: a fixed width, whatever the machine running the tests."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The exit code, stdout and stderr, each with its words joined by single spaces (a
    phrase may be wrapped onto the next line), once every line is checked to fit
    :data:`WIDTH` (only a single word longer than that, like a long path, may not)."""
    code = main(argv)
    out = capsys.readouterr()
    for line in (out.out + out.err).splitlines():
        assert len(line) <= WIDTH or len(line.split()) == 1, f"too wide: {line!r}"
    return code, " ".join(out.out.split()), " ".join(out.err.split())


# ----------------------------------------------------------------------------- range


@pytest.fixture(scope="module")
def range_video(material: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    frames, _ = material.range_video(renders, fps=8.0, max_side_px=None, seed=3)
    path = tmp_path_factory.mktemp("range") / "range.mp4"
    return material.write_mp4(frames, 8.0, path, rotation_deg=-90)


def test_range_check_cli_measures_the_four_holds(
    range_video: Path, lite_model: ModelFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "range.json"
    code, out, err = _run(
        [
            "check",
            "range",
            str(range_video),
            "--variant",
            "lite",
            "--fps",
            "8",
            "--json",
            str(out_json),
        ],
        capsys,
    )
    assert code == EXIT_OK, out + err
    assert "tipped forward" in out and "Levine & Whittle" in out
    rec = json.loads(out_json.read_text())
    assert rec["measured"] is True and rec["check"] == "pelvic_tilt_range"
    assert rec["video"]["rotation_deg"] == 270  # stored turned, shown upright
    r = rec["result"]
    tilt = {h["position"]: h["pelvic_tilt_deg"]["value"] for h in r["holds"]}
    # Truth: 6° relaxed, 22° forward, -2° tucked. The estimate keeps the order and cuts the
    # changes short (see bench/check_range.py); it must at least move the right way.
    assert tilt["forward"] > tilt["relaxed"] + 4 > tilt["tucked"] + 6
    assert r["relaxed_agree"] is True
    assert 10 < r["relaxed_position_pct"]["value"] < 70  # truth 33 %
    assert rec["sources"] and rec["interpretation"]


def test_range_check_refuses_a_still_recording(
    material: ModuleType, lite_model: ModelFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames, _ = material.range_video(
        [("relaxed", DATA / "range_t6.jpg")], fps=6.0, hold_s=14.0, max_side_px=None
    )
    path = material.write_mp4(frames, 6.0, tmp_path / "still.mp4")
    code, out, _ = _run(["check", "range", str(path), "--variant", "lite", "--fps", "6"], capsys)
    assert code == EXIT_NOT_MEASURABLE
    assert "needs four" in out and "Hold each position" in out


# ----------------------------------------------------------------------------- breathing


def test_breathing_check_cli_finds_rate_and_share(
    material: ModuleType, lite_model: ModelFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = material.breathing_video(
        DATA / "range_t6.jpg",
        rate_per_min=15.0,
        chest_p2p_px=2.0,
        belly_p2p_px=4.0,
        duration_s=24.0,
        fps=10.0,
        max_side_px=None,
        seed=1,
    )
    path = material.write_mp4(clip.frames, 10.0, tmp_path / "breathing.mp4")
    out_json = tmp_path / "breathing.json"
    code, out, err = _run(
        [
            "check",
            "breathing",
            str(path),
            "--variant",
            "lite",
            "--fps",
            "10",
            "--json",
            str(out_json),
        ],
        capsys,
    )
    assert code == EXIT_OK, out + err
    r = json.loads(out_json.read_text())["result"]
    assert r["rate_per_min"]["value"] == pytest.approx(clip.truth.rate_per_min, abs=1.0)
    assert r["belly_share_pct"]["value"] == pytest.approx(clip.truth.belly_share_pct, abs=10.0)
    assert len(r["trace"]["t_s"]) == len(r["trace"]["chest_px"]) > 100
    assert "Deep belly breathing" in out and "Kaneko & Horie" in out


# ----------------------------------------------------------------------------- bad input


def test_bad_videos_get_friendly_messages(
    material: ModuleType,
    lite_model: ModelFile,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    code, _, err = _run(["check", "breathing", str(text)], capsys)
    assert code == EXIT_UNREADABLE and "could not be read as a video" in err
    code, _, err = _run(["check", "range", str(tmp_path / "missing.mov")], capsys)
    assert code == EXIT_UNREADABLE and "was not found" in err

    # An empty room: nobody in any frame.
    rng = np.random.default_rng(0)
    room = [
        np.full((320, 240, 3), 128, np.uint8) + rng.integers(0, 6, (320, 240, 3), np.uint8)
    ] * 40
    empty = material.write_mp4(room, 8.0, tmp_path / "empty.mp4")
    code, out, _ = _run(
        ["check", "breathing", str(empty), "--variant", "lite", "--fps", "8"], capsys
    )
    assert code == EXIT_NOT_MEASURABLE
    assert "No person was found" in out

    # A person seen from behind: not a side view, in every frame.
    back = cv2.cvtColor(
        cv2.imread(str(REPO / "tests" / "data" / "back_view.jpg")), cv2.COLOR_BGR2RGB
    )
    back = cv2.resize(back, (360, 640), interpolation=cv2.INTER_AREA)
    frames = list(material.jittered(back, 170, rng, material._Wobble(rng)))
    video = material.write_mp4(frames, 8.0, tmp_path / "back.mp4")
    code, out, _ = _run(["check", "range", str(video), "--variant", "lite", "--fps", "8"], capsys)
    assert code == EXIT_NOT_MEASURABLE
    assert "front or back view" in out


def test_check_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as err:
        main(["check", "range", "x.mp4", "--fps", "0"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        main(["check", "posture", "x.mp4"])
    assert err.value.code == 2


# ----------------------------------------------------------------------------- Thomas


@pytest.mark.parametrize(("name", "call"), [("thomas_above", "above"), ("thomas_below", "below")])
def test_thomas_reads_lying_renders(full_detector: PoseDetector, name: str, call: str) -> None:
    from posture_cam.measure.thomas import summarize_side

    truth = json.loads((DATA / f"{name}.json").read_text())["thomas"]
    rgb = cv2.cvtColor(cv2.imread(str(DATA / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
    reading = thomas_frame(full_detector.detect(rgb), rgb)
    assert reading.usable, [f.code for f in reading.findings]
    f = reading.frame
    assert f is not None
    assert f.hanging_side == truth["hanging_side"]
    # The bench's error on such renders is ~2-3° (full model); allow twice its worst.
    assert f.thigh_angle_deg == pytest.approx(truth["image"]["thigh_angle_deg"], abs=8.0)
    assert f.knee_flexion_deg == pytest.approx(truth["image"]["knee_flexion_deg"], abs=10.0)
    assert summarize_side([f]).thigh_call == call


def test_the_range_check_uses_each_models_fitted_change_gain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from posture_cam import guided

    shipped = json.loads(guided.RANGE_GAIN_FILE.read_text())
    for variant in ("lite", "full"):
        cfg = guided.range_config(variant)
        assert cfg.tilt_change_gain == shipped[variant]["tilt"]
        assert cfg.lordosis_change_gain == shipped[variant]["lordosis"]
        # fitted on training renders: a few per cent, never a large correction
        assert 1.0 <= cfg.tilt_change_gain <= 1.1
    # A model without a fitted gain, or no gain file at all: changes as measured.
    assert guided.range_config("heavy").tilt_change_gain == 1.0
    monkeypatch.setattr(guided, "RANGE_GAIN_FILE", tmp_path / "missing.json")
    assert guided.range_config("full").lordosis_change_gain == 1.0
