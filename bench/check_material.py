"""Test videos with known truth for the guided checks (range, breathing), made from renders.

Nothing here is committed as video: the benches and tests build their material from
still renders (a few small ones live in ``tests/data/guided``) into a temporary folder.

**Range.** Same-body renders at set pelvic tilts (``../shared/tools/synth`` with a fixed
``--tilt-range``: same image seed = same body, camera, light and clothes) become a video of
four holds (relaxed, tipped forward, tucked under, relaxed again; by default the renders at
6°, 22°, -2° and 6°). Each hold shows its still picture with what a handheld or
tripod camera adds frame by frame: a slow sub-pixel random walk of the picture (steps of
σ 0.15 px, kept within ±1.5 px), a scale wobble of ±0.3 % and sensor noise (σ 2 grey
levels); between holds a cross-fade stands in for the movement. Truth: each hold's
``measured.asis_psis_deg`` and ``measured.lordosis_deg`` from the renders' JSON.

**Breathing.** :func:`breathing_video` moves the front of the trunk of one still render in
and out: a smooth horizontal warp whose size follows a breathing waveform, separately at the
chest (sternum, 0.72 of stature) and at the belly (navel, 0.60 of stature). The warp is zero
at the back and full from the middle of the trunk forward, over a flat-topped band
(±0.03 of stature, fading to zero over another 0.03), so the outline at each level moves by
exactly the set amount and the two bands do not overlap. Breaths come at a set mean rate
with ±8 % breath-to-breath variation, inhaling over 40 % of each breath, the belly leading
the chest by 5 % of a breath; the picture also sways (±1 px, 0.2 Hz) and gets sensor noise.
Truth: the mean rate and the two peak-to-peak amplitudes (px and % of trunk length).

Writers: :func:`write_mp4` (H.264 via PyAV, what the CLI reads like a phone video, with an
optional display rotation) and :func:`write_y4m` (what Chromium plays as a fake camera:
../shared/LIVE.md).

Command line (writes videos and a ``truth.json`` beside them):

    python bench/check_material.py range DIR_OF_TILT_FOLDERS SEED_INDEX OUT [--y4m]
    python bench/check_material.py breathing RENDER_PNG OUT --rate 14 --chest 3 --belly 5
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

__all__ = [
    "RANGE_TILTS",
    "range_tilts",
    "tilt_folders",
    "RangeHoldTruth",
    "load_render",
    "jittered",
    "range_video",
    "BreathingTruth",
    "BreathingClip",
    "breathing_video",
    "write_mp4",
    "write_y4m",
]

# Renders used for each prompted position (their folder names under the tilt sets).
RANGE_TILTS = (("relaxed", "t6"), ("forward", "t22"), ("tucked", "t-2"), ("relaxed_again", "t6"))


def tilt_folders(root: Path) -> list[str]:
    """Every ``t<degrees>`` folder under ``root``, lowest tilt first."""
    names = [p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("t")]
    return sorted(names, key=lambda name: float(name[1:]))


def range_tilts(root: Path) -> tuple[tuple[str, str], ...]:
    """The four holds' tilt folders under ``root`` (``t<degrees>``): tucked under = the
    lowest tilt, relaxed = the next, tipped forward = the highest."""
    folders = tilt_folders(root)
    if len(folders) < 3:
        raise FileNotFoundError(f"{root} needs three or more t<degrees> folders")
    tucked, relaxed, forward = folders[0], folders[1], folders[-1]
    return (
        ("relaxed", relaxed),
        ("forward", forward),
        ("tucked", tucked),
        ("relaxed_again", relaxed),
    )


# ----------------------------------------------------------------------------- basics


def load_render(png: Path, max_side_px: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """A render as RGB uint8 and its truth JSON (``synth_*.png`` / ``.jpg`` + ``.json``)."""
    bgr = cv2.imread(str(png), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(png)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    truth = json.loads(png.with_suffix(".json").read_text())
    if max_side_px and max(rgb.shape[:2]) > max_side_px:
        s = max_side_px / max(rgb.shape[:2])
        rgb = cv2.resize(
            rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA
        )
    return rgb, truth


class _Wobble:
    """A slow random walk of shift and scale, like a camera on a tripod with a person in it."""

    def __init__(self, rng: np.random.Generator, step_px: float = 0.15, max_px: float = 1.5):
        self.rng, self.step, self.max = rng, step_px, max_px
        self.dx = self.dy = 0.0
        self.scale = 1.0

    def next(self) -> tuple[float, float, float]:
        self.dx = float(np.clip(self.dx + self.rng.normal(0, self.step), -self.max, self.max))
        self.dy = float(np.clip(self.dy + self.rng.normal(0, self.step), -self.max, self.max))
        self.scale = float(np.clip(self.scale + self.rng.normal(0, 0.0005), 0.997, 1.003))
        return self.dx, self.dy, self.scale


def _warp_affine(rgb: np.ndarray, dx: float, dy: float, scale: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = np.array([[scale, 0.0, (1 - scale) * w / 2 + dx], [0.0, scale, (1 - scale) * h / 2 + dy]])
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


_NOISE_FIELDS = 4


def _noisy(rgb: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise of SD ``sigma`` grey levels: one of a few fields drawn once per size,
    shifted by a random offset each frame (drawing a fresh field every frame cost more
    than everything else in making a video)."""
    if sigma <= 0:
        return rgb
    key = (rgb.shape, round(sigma, 3))
    bank = _NOISE_BANK.get(key)
    if bank is None:
        bank = (rng.normal(0, sigma, (_NOISE_FIELDS, *rgb.shape)) * 16).astype(np.int16)
        _NOISE_BANK[key] = bank
    field = bank[rng.integers(_NOISE_FIELDS)]
    field = np.roll(
        field, (int(rng.integers(rgb.shape[0])), int(rng.integers(rgb.shape[1]))), (0, 1)
    )
    out = (rgb.astype(np.int16) * 16 + field + 8) >> 4
    return np.clip(out, 0, 255).astype(np.uint8)


_NOISE_BANK: dict[tuple[tuple[int, ...], float], np.ndarray] = {}


def jittered(
    rgb: np.ndarray, n: int, rng: np.random.Generator, wobble: _Wobble, noise: float = 2.0
) -> Iterator[np.ndarray]:
    """``n`` frames of a still picture with camera wobble and sensor noise."""
    for _ in range(n):
        yield _noisy(_warp_affine(rgb, *wobble.next()), rng, noise)


# ----------------------------------------------------------------------------- range


@dataclass(frozen=True)
class RangeHoldTruth:
    """One hold of a range video: when it is shown and the render's true angles."""

    position: str
    start_s: float
    end_s: float
    render: str
    asis_psis_deg: float
    lordosis_deg: float


def range_video(
    renders: Sequence[tuple[str, Path]],
    *,
    fps: float = 15.0,
    hold_s: float = 3.0,
    transition_s: float = 1.0,
    max_side_px: int | None = 960,
    seed: int = 0,
) -> tuple[list[np.ndarray], list[RangeHoldTruth]]:
    """Frames of a four-hold range video and the truth of each hold.

    Args:
        renders: (position, render PNG/JPEG) in the order shown.
        fps: frames a second of the video.
        hold_s / transition_s: how long each hold and each cross-fade lasts.
        max_side_px: shrink the renders to this size first (None keeps them).
        seed: the wobble and noise.
    """
    rng = np.random.default_rng(seed)
    wobble = _Wobble(rng)
    pics = [(pos, path, *load_render(path, max_side_px)) for pos, path in renders]
    frames: list[np.ndarray] = []
    truth: list[RangeHoldTruth] = []
    n_hold, n_trans = round(hold_s * fps), round(transition_s * fps)
    for k, (pos, path, rgb, gt) in enumerate(pics):
        if k:
            prev = pics[k - 1][2].astype(np.float32)
            for i in range(n_trans):
                a = (i + 1) / (n_trans + 1)
                blend = np.clip((1 - a) * prev + a * rgb + 0.5, 0, 255).astype(np.uint8)
                frames.extend(jittered(blend, 1, rng, wobble))
        start = len(frames) / fps
        frames.extend(jittered(rgb, n_hold, rng, wobble))
        m = gt["measured"]
        truth.append(
            RangeHoldTruth(
                pos,
                round(start, 3),
                round(len(frames) / fps, 3),
                path.name,
                float(m["asis_psis_deg"]),
                float(m["lordosis_deg"]),
            )
        )
    return frames, truth


def range_renders(
    root: Path, seed_name: str, tilts: Sequence[tuple[str, str]] = RANGE_TILTS
) -> list[tuple[str, Path]]:
    """The renders of one body (``synth_<seed>.png``) in the holds' folders (``tilts``)."""
    out = []
    for pos, folder in tilts:
        for ext in (".png", ".jpg"):
            p = root / folder / f"{seed_name}{ext}"
            if p.is_file():
                out.append((pos, p))
                break
        else:
            raise FileNotFoundError(root / folder / f"{seed_name}.png")
    return out


# ----------------------------------------------------------------------------- breathing

CHEST_LEVEL = 0.72  # mid-sternum, share of standing height above the floor
BELLY_LEVEL = 0.60  # navel
BAND_FLAT = 0.03  # the warp is full within ±0.03 H of a level ...
BAND_FADE = 0.03  # ... and fades to zero over the next 0.03 H


@dataclass(frozen=True)
class BreathingTruth:
    """What a breathing video was made to show."""

    render: str
    fps: float
    duration_s: float
    rate_per_min: float
    chest_p2p_px: float
    belly_p2p_px: float
    trunk_length_px: float
    belly_share_pct: float
    belly_lead_fraction: float
    rate_variation: float


@dataclass(frozen=True, eq=False)
class BreathingClip:
    """A breathing video: its frames, its truth, and each frame's set outline movement (px)."""

    frames: list[np.ndarray]
    truth: BreathingTruth
    chest_px: np.ndarray
    belly_px: np.ndarray


def _band(y: np.ndarray, level_y: float, stature: float) -> np.ndarray:
    d = np.abs(y - level_y) / stature
    fade = np.clip((d - BAND_FLAT) / BAND_FADE, 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * fade)


def _breath_wave(phase: np.ndarray, inhale: float = 0.4) -> np.ndarray:
    """0 -> 1 -> 0 over one breath: a cosine rise over ``inhale`` of it, a slower fall."""
    p = phase % 1.0
    rise = 0.5 - 0.5 * np.cos(np.pi * p / inhale)
    fall = 0.5 + 0.5 * np.cos(np.pi * (p - inhale) / (1.0 - inhale))
    return np.where(p < inhale, rise, fall)


def _front_geometry(mask: np.ndarray, facing: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: x of the trunk's middle and of its front edge (NaN where there is no body)."""
    fg = mask >= 128
    any_fg = fg.any(axis=1)
    first = np.where(any_fg, np.argmax(fg, axis=1), -1)
    last = np.where(any_fg, mask.shape[1] - 1 - np.argmax(fg[:, ::-1], axis=1), -1)
    mid = np.where(any_fg, (first + last + 1) / 2.0, np.nan)
    front = np.where(any_fg, (last + 1.0) if facing > 0 else first.astype(float), np.nan)
    return mid, front


def breathing_video(
    render_png: Path,
    *,
    rate_per_min: float = 14.0,
    chest_p2p_px: float = 3.0,
    belly_p2p_px: float = 5.0,
    duration_s: float = 40.0,
    fps: float = 15.0,
    max_side_px: int | None = 960,
    rate_variation: float = 0.08,
    belly_lead_fraction: float = 0.05,
    sway_px: float = 1.0,
    noise: float = 2.0,
    seed: int = 0,
) -> BreathingClip:
    """Frames of a render breathing at a known rate and chest and belly movement.

    Amplitudes are peak-to-peak in pixels of the returned frames (after shrinking to
    ``max_side_px``). See the module notes for the warp.
    """
    rgb, gt = load_render(render_png, max_side_px)
    mask_full = cv2.imread(str(render_png.with_name(render_png.stem + "_mask.png")), 0)
    if mask_full is None:
        raise FileNotFoundError(render_png.with_name(render_png.stem + "_mask.png"))
    scale = rgb.shape[0] / mask_full.shape[0]
    mask = cv2.resize(mask_full, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_AREA)
    facing = 1 if gt["camera"]["subject_faces"] == "image_right" else -1
    near = gt["camera"]["near_side"]
    rows = np.flatnonzero((mask >= 128).any(axis=1))
    floor = float(rows[-1] + 1)
    ear_y = gt["keypoints_2d"][f"ear_{near}"][1] * scale
    stature = (floor - ear_y) / 0.926
    hip = np.array(gt["keypoints_2d"][f"hip_{near}"]) * scale
    shoulder = np.array(gt["keypoints_2d"][f"shoulder_{near}"]) * scale
    trunk_length = float(np.hypot(*(shoulder - hip)))

    h, w = mask.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mid, front = _front_geometry(mask, facing)
    y = np.arange(h) + 0.5
    g_chest = _band(y, floor - CHEST_LEVEL * stature, stature)
    g_belly = _band(y, floor - BELLY_LEVEL * stature, stature)
    # Across the trunk: 0 at the middle, 1 from halfway to the front edge until 12 px
    # beyond the largest movement in front of it, then back to 0 over 30 px of background.
    reach = max(chest_p2p_px, belly_p2p_px) + 12.0
    mid_f = np.nan_to_num(mid, nan=w / 2.0)[:, None]
    front_f = np.nan_to_num(front, nan=w / 2.0)[:, None]
    ahead = facing * (xx - mid_f)
    half = np.maximum(facing * (front_f - mid_f) / 2.0, 1.0)
    past = facing * (xx - front_f) - reach
    across = np.clip(ahead / half, 0.0, 1.0) * np.clip(1.0 - past / 30.0, 0.0, 1.0)
    across = across.astype(np.float32)

    rng = np.random.default_rng(seed)
    n = round(duration_s * fps)
    t = np.arange(n) / fps
    n_breaths = int(duration_s * rate_per_min / 60.0) + 3
    lengths = 60.0 / rate_per_min * (1.0 + rng.normal(0.0, rate_variation, n_breaths))
    edges = np.concatenate([[0.0], np.cumsum(np.clip(lengths, 0.3 * 60 / rate_per_min, None))])
    phase = np.interp(t, edges, np.arange(edges.size))
    true_rate = 60.0 * float(phase[-1] - phase[0]) / float(t[-1] - t[0])
    chest_wave = _breath_wave(phase - belly_lead_fraction)
    belly_wave = _breath_wave(phase)
    sway = sway_px * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 2 * np.pi))
    frames = []
    for k in range(n):
        shift = chest_p2p_px * chest_wave[k] * g_chest + belly_p2p_px * belly_wave[k] * g_belly
        dx = facing * shift.astype(np.float32)[:, None] * across
        map_x = xx + 0.5 - dx - float(sway[k])
        moved = cv2.remap(rgb, map_x - 0.5, yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        frames.append(_noisy(moved, rng, noise))
    truth = BreathingTruth(
        render=render_png.name,
        fps=fps,
        duration_s=round(n / fps, 3),
        rate_per_min=round(true_rate, 4),
        chest_p2p_px=chest_p2p_px,
        belly_p2p_px=belly_p2p_px,
        trunk_length_px=round(trunk_length, 2),
        belly_share_pct=round(100.0 * belly_p2p_px / (belly_p2p_px + chest_p2p_px), 3),
        belly_lead_fraction=belly_lead_fraction,
        rate_variation=rate_variation,
    )
    return BreathingClip(frames, truth, chest_p2p_px * chest_wave, belly_p2p_px * belly_wave)


# ----------------------------------------------------------------------------- writers


def write_mp4(
    frames: Sequence[np.ndarray], fps: float, path: Path, *, rotation_deg: int = 0, crf: int = 18
) -> Path:
    """H.264 MP4 (yuv420p) via PyAV. With ``rotation_deg`` the pictures are stored turned
    clockwise by that much and the file's display matrix turns them back, as phones do."""
    from fractions import Fraction

    import av

    k = -(rotation_deg // 90) % 4
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        first = np.rot90(frames[0], k)
        stream.width, stream.height = first.shape[1] // 2 * 2, first.shape[0] // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "ultrafast"}
        if rotation_deg:
            stream.set_display_rotation(rotation_deg)
        for rgb in frames:
            pic = np.ascontiguousarray(np.rot90(rgb, k)[: stream.height, : stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_y4m(frames: Sequence[np.ndarray], fps: float, path: Path) -> Path:
    """YUV4MPEG2 (C420jpeg) for Chromium's fake camera; width and height made even."""
    h, w = (frames[0].shape[0] // 2) * 2, (frames[0].shape[1] // 2) * 2
    rate = round(fps)
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{rate}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            bgr = cv2.cvtColor(np.ascontiguousarray(rgb[:h, :w]), cv2.COLOR_RGB2BGR)
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


# ----------------------------------------------------------------------------- CLI


def _main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="kind", required=True)
    r = sub.add_parser("range", help="a four-hold video of one body")
    r.add_argument("root", type=Path, help="folder holding t6, t22, t-2 (and t14)")
    r.add_argument("index", type=int, help="which body: index into the sorted t6 renders")
    r.add_argument("out", type=Path)
    r.add_argument("--fps", type=float, default=15.0)
    r.add_argument("--y4m", action="store_true", help="also write a .y4m")
    b = sub.add_parser("breathing", help="a render breathing at a set rate and size")
    b.add_argument("render", type=Path, help="synth_*.png with its .json and _mask.png")
    b.add_argument("out", type=Path)
    b.add_argument("--rate", type=float, default=14.0, help="breaths a minute")
    b.add_argument("--chest", type=float, default=3.0, help="chest peak-to-peak, px")
    b.add_argument("--belly", type=float, default=5.0, help="belly peak-to-peak, px")
    b.add_argument("--seconds", type=float, default=40.0)
    b.add_argument("--fps", type=float, default=15.0)
    b.add_argument("--y4m", action="store_true", help="also write a .y4m")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.kind == "range":
        names = sorted(
            p.stem for p in (args.root / "t6").glob("synth_*.png") if "_mask" not in p.stem
        )
        name = names[args.index]
        frames, truth = range_video(range_renders(args.root, name), fps=args.fps, seed=args.index)
        write_mp4(frames, args.fps, args.out / f"range_{name}.mp4")
        if args.y4m:
            write_y4m(frames, args.fps, args.out / f"range_{name}.y4m")
        (args.out / f"range_{name}.json").write_text(
            json.dumps([asdict(t) for t in truth], indent=1)
        )
        print(f"wrote {len(frames)} frames: {args.out / f'range_{name}.mp4'}")
    else:
        clip = breathing_video(
            args.render,
            rate_per_min=args.rate,
            chest_p2p_px=args.chest,
            belly_p2p_px=args.belly,
            duration_s=args.seconds,
            fps=args.fps,
        )
        frames, bt = clip.frames, clip.truth
        stem = f"breathing_{args.render.stem}_{args.rate:g}"
        write_mp4(frames, args.fps, args.out / f"{stem}.mp4")
        if args.y4m:
            write_y4m(frames, args.fps, args.out / f"{stem}.y4m")
        (args.out / f"{stem}.json").write_text(json.dumps(asdict(bt), indent=1))
        print(f"wrote {len(frames)} frames: {args.out / f'{stem}.mp4'}")


if __name__ == "__main__":
    _main()
