"""The bad-input corpus: files a person might hand to posture_cam, built by the tests.

Every case is one row: the file to write, how it is made, and what must come back (the CLI's
exit code for that file alone, the headline finding code or ``"measured"``, and a phrase the
message must contain). Files are generated from ``tests/data`` (a synthetic side view, a
few real photos; see its README) and from scikit-image's CC0 cat; one file is used as it
is: the **back view** ``tests/data/back_view.jpg``, rendered with the owner's renderer (the
posed body turned 90° about the vertical so its back faces the camera), since the data holds
no photo of a person seen from behind and mirroring a front view is still a front view. Used by
``tests/integration/test_bad_inputs.py`` (the CLI) and ``tests/app/test_bad_inputs_app.py``
(the Photo page).
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

__all__ = ["CASES", "CORPUS_DIR", "Case", "Sources", "build_corpus", "SIDE_VIEW", "MEASURED"]

DATA = Path(__file__).resolve().parent / "data"
# A synthetic side view with a clear pattern (lite model: "increased", confidence 0.97),
# so every transformed copy must give the same answer, not a coin toss near a boundary.
SIDE_VIEW = DATA / "synth" / "synth_000011000035.jpg"
REAL = DATA / "real"
BACK_VIEW = DATA / "back_view.jpg"
MEASURED = "measured"
CORPUS_DIR = "bad_input_corpus"
"""Folder name under pytest's base temp: the CLI and app tests share one corpus per run."""

# CLI exit codes (posture_cam/cli.py docstring).
OK, NOT_MEASURABLE, UNREADABLE = 0, 1, 4


class Sources:
    """The pictures the cases are made from, loaded once."""

    @cached_property
    def side(self) -> np.ndarray:
        """The synthetic side view as (H, W, 3) uint8 RGB."""
        with Image.open(SIDE_VIEW) as im:
            return np.asarray(im.convert("RGB")).copy()

    @cached_property
    def truth(self) -> dict:
        return json.loads(SIDE_VIEW.with_suffix(".json").read_text())

    def real(self, name: str) -> bytes:
        return (REAL / name).read_bytes()


def _encode(image: Image.Image | np.ndarray, fmt: str, **params: object) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _jpeg(rgb: np.ndarray, quality: int = 95, **params: object) -> bytes:
    return _encode(rgb, "JPEG", quality=quality, **params)


# What each EXIF orientation means (EXIF 2.32: where the stored 0th row and column go),
# written independently of Pillow as in tests/unit/test_images.py: the camera stores
# STORED_FROM_DISPLAY[o](upright) and tags it o.
_DISPLAY_FROM_STORED: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, k=-1),
    7: lambda a: np.rot90(a, k=2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, k=1),
}
_STORED_FROM_DISPLAY = {
    **_DISPLAY_FROM_STORED,
    6: _DISPLAY_FROM_STORED[8],
    8: _DISPLAY_FROM_STORED[6],
}


def _exif_rotated(orientation: int) -> Callable[[Sources], bytes]:
    def make(src: Sources) -> bytes:
        stored = np.ascontiguousarray(_STORED_FROM_DISPLAY[orientation](src.side))
        exif = Image.Exif()
        exif[0x0112] = orientation
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 12"  # Model
        return _jpeg(stored, exif=exif.tobytes())

    return make


def _huge_exif(src: Sources) -> bytes:
    # A JPEG APP1 segment holds at most 65 533 bytes; fill nearly all of it.
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010E] = "x" * 60_000  # ImageDescription
    exif[0x8298] = "(c) " + "y" * 4_000  # Copyright
    data = exif.tobytes()
    assert len(data) > 60_000
    return _jpeg(src.side, exif=data)


def _truncated(fmt: str) -> Callable[[Sources], bytes]:
    def make(src: Sources) -> bytes:
        whole = _encode(src.side, fmt)
        return whole[: len(whole) // 2]

    return make


def _random_bytes(_: Sources) -> bytes:
    data = np.random.default_rng(20240501).integers(0, 256, 8192, dtype=np.uint8).tobytes()
    assert not data.startswith(b"\xff\xd8")
    return data


def _text(_: Sources) -> bytes:
    return b"Shopping list\n- oats\n- milk\n- a new yoga mat\n"


def _pdf(src: Sources) -> bytes:
    """A one-page PDF with the side-view photo on it (a scanned or exported document)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="My posture photo")
    pdf.image(Image.fromarray(src.side), x=20, y=30, w=90)
    return bytes(pdf.output())


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming ``width`` x ``height``, with one byte of data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"x") + chunk(b"IEND", b"")


def _one_pixel(_: Sources) -> bytes:
    return _encode(Image.new("RGB", (1, 1), (200, 120, 40)), "PNG")


def _panorama(src: Sources) -> bytes:
    """A 9000 x 1280 panorama of the room, the person standing in the middle at full size."""
    side = src.side
    h, w = side.shape[:2]
    # Extend the room by repeating its outer columns (plain wall and floor), mirrored.
    left = np.concatenate([side[:, :40][:, ::-1], side[:, :40]], axis=1)
    right = np.concatenate([side[:, -40:][:, ::-1], side[:, -40:]], axis=1)
    reps = (9000 - w) // 2 // left.shape[1] + 1
    canvas = np.concatenate(
        [np.tile(left, (1, reps, 1)), side, np.tile(right, (1, reps, 1))], axis=1
    )
    x0 = (canvas.shape[1] - 9000) // 2
    return _jpeg(np.ascontiguousarray(canvas[:, x0 : x0 + 9000]), quality=90)


def _cmyk(src: Sources) -> bytes:
    return _encode(Image.fromarray(src.side).convert("CMYK"), "JPEG", quality=95)


def _png16(src: Sources) -> bytes:
    # 16 bits per channel (RGB48): OpenCV writes it, Pillow cannot. OpenCV order is BGR.
    bgr16 = cv2.cvtColor(src.side, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257
    ok, buf = cv2.imencode(".png", bgr16)
    assert ok
    return buf.tobytes()


def _palette_transparent(src: Sources) -> bytes:
    image = Image.fromarray(src.side).quantize(colors=255)
    corner = image.getpixel((0, 0))  # the wall's colour becomes see-through
    return _encode(image, "PNG", transparency=corner)


def _animated_gif(src: Sources) -> bytes:
    side = Image.fromarray(src.side)
    frames = [side, Image.fromarray(src.side[:, ::-1]), Image.new("RGB", side.size, "white")]
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=300, loop=0)


def _grey(src: Sources) -> bytes:
    return _encode(Image.fromarray(src.side).convert("L"), "JPEG", quality=95)


def _webp(src: Sources) -> bytes:
    return _encode(src.side, "WEBP", quality=90)


def _heic(src: Sources) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _encode(src.side, "HEIF", quality=90)


def _dark(src: Sources) -> bytes:
    return _jpeg((src.side.astype(np.float32) * 0.05).round().astype(np.uint8))


def _blown_out(src: Sources) -> bytes:
    return _jpeg(np.clip(src.side.astype(np.int16) + 200, 0, 255).astype(np.uint8))


def _cat(_: Sources) -> bytes:
    from skimage import data  # scikit-image's bundled CC0 test picture "chelsea"

    return _encode(data.chelsea(), "PNG")


def _lying_down(src: Sources) -> bytes:
    return _jpeg(np.ascontiguousarray(np.rot90(src.side, k=1)))


def _cropped_at_knees(src: Sources) -> bytes:
    kp = src.truth["keypoints_2d"]
    knee_y = round(min(kp["knee_L"][1], kp["knee_R"][1]))
    return _jpeg(np.ascontiguousarray(src.side[:knee_y]))


def _tiny_person(src: Sources) -> bytes:
    """The side view shrunk to a quarter (a 230-pixel person) in a 4000 x 3000 room."""
    side = src.side
    h, w = side.shape[:2]
    small = cv2.resize(side, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    floor_y = round(0.66 * h)  # where the synthetic room's wall meets its floor
    wall = np.median(side[: floor_y - 20, :60].reshape(-1, 3), axis=0).astype(np.uint8)
    floor = np.median(side[floor_y + 20 :, -60:].reshape(-1, 3), axis=0).astype(np.uint8)
    canvas = np.empty((3000, 4000, 3), np.uint8)
    canvas[:2000] = wall
    canvas[2000:] = floor
    y0, x0 = 2000 - floor_y // 4, 1800  # the small room's floor line on the big one's
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return _jpeg(canvas, quality=90)


def _mirrored(src: Sources) -> bytes:
    return _jpeg(np.ascontiguousarray(src.side[:, ::-1]))


def _jpeg_named_png(src: Sources) -> bytes:
    return _jpeg(src.side)


def _copy_side(_: Sources) -> bytes:
    return SIDE_VIEW.read_bytes()


def _copy_back_view(_: Sources) -> bytes:
    return BACK_VIEW.read_bytes()


def _real(name: str) -> Callable[[Sources], bytes]:
    return lambda src: src.real(name)


@dataclass(frozen=True)
class Case:
    """One row of the corpus table.

    Attributes:
        case: the case's name (the test id).
        file: file name written into the corpus folder.
        exit_code: the CLI's exit code for this file alone.
        outcome: the headline (first blocking) finding's code, or ``"measured"``.
        phrase: text the message must contain (CLI output and the app page).
        make: builds the file's bytes.
        same_pattern: the pattern must equal the upright side view's (same body, same
            pose: rotation by EXIF, mirroring and codecs must not change the answer).
        app_name: name to upload under in the app when its uploader refuses ``file``'s
            extension (the page accepts the CLI's picture types, not txt or pdf).
    """

    case: str
    file: str
    exit_code: int
    outcome: str
    phrase: str
    make: Callable[[Sources], bytes]
    same_pattern: bool = False
    app_name: str | None = None


CASES: tuple[Case, ...] = (
    # --- files that are not (whole) images: read errors, exit 4
    Case("zero_bytes", "empty.jpg", UNREADABLE, "empty_file", "is empty (0 bytes)", lambda _: b""),
    Case(
        "truncated_jpeg",
        "truncated.jpg",
        UNREADABLE,
        "corrupt_image",
        "looks like a JPEG image, but its data is damaged or incomplete",
        _truncated("JPEG"),
    ),
    Case(
        "truncated_png",
        "truncated.png",
        UNREADABLE,
        "corrupt_image",
        "looks like a PNG image, but its data is damaged or incomplete",
        _truncated("PNG"),
    ),
    Case(
        "random_bytes_jpg",
        "random.jpg",
        UNREADABLE,
        "not_an_image",
        "is not an image we can read",
        _random_bytes,
    ),
    Case(
        "text_file",
        "notes.txt",
        UNREADABLE,
        "not_an_image",
        "is a text file, not a photo",
        _text,
        app_name="notes.txt.jpg",
    ),
    Case(
        "pdf",
        "scan.pdf",
        UNREADABLE,
        "not_an_image",
        "is a PDF document, not a photo",
        _pdf,
        app_name="scan.pdf.png",
    ),
    Case(
        "decompression_bomb_50000px",
        "bomb.png",
        UNREADABLE,
        "too_large",
        "50000 × 50000 pixels, more than the 100-megapixel limit",
        lambda _: _png_header_only(50_000, 50_000),
    ),
    Case(
        "one_pixel",
        "one_pixel.png",
        UNREADABLE,
        "too_small",
        "is too small to analyse: 1 × 1 pixels",
        _one_pixel,
    ),
    # --- unusual encodings of the same side view: all measured, same answer
    Case(
        "upright_side_view",
        "side_view.jpg",
        OK,
        MEASURED,
        "Increased curve",
        _copy_side,
        same_pattern=True,
    ),
    Case("cmyk_jpeg", "cmyk.jpg", OK, MEASURED, "Increased curve", _cmyk, same_pattern=True),
    Case("png_16bit", "rgb48.png", OK, MEASURED, "Increased curve", _png16, same_pattern=True),
    Case(
        "palette_png_transparent",
        "palette.png",
        OK,
        MEASURED,
        "Increased curve",
        _palette_transparent,
    ),
    Case(
        "animated_gif",
        "animated.gif",
        OK,
        MEASURED,
        "Increased curve",
        _animated_gif,
    ),
    Case("greyscale", "grey.jpg", OK, MEASURED, "Increased curve", _grey, same_pattern=True),
    Case("webp", "photo.webp", OK, MEASURED, "Increased curve", _webp, same_pattern=True),
    Case("heic", "iphone.heic", OK, MEASURED, "Increased curve", _heic, same_pattern=True),
    Case(
        "jpeg_named_png",
        "really_a_jpeg.png",
        OK,
        MEASURED,
        "Increased curve",
        _jpeg_named_png,
        same_pattern=True,
    ),
    *(
        Case(
            f"exif_orientation_{o}",
            f"exif_{o}.jpg",
            OK,
            MEASURED,
            "Increased curve",
            _exif_rotated(o),
            same_pattern=True,
        )
        for o in range(1, 9)
    ),
    Case(
        "huge_exif", "huge_exif.jpg", OK, MEASURED, "Increased curve", _huge_exif, same_pattern=True
    ),
    Case(
        "mirrored_facing_left",
        "mirrored.jpg",
        OK,
        MEASURED,
        "Increased curve",
        _mirrored,
        same_pattern=True,
    ),
    # --- pictures that can be read but not measured: exit 1 with the gate's message
    Case("very_dark", "dark.jpg", NOT_MEASURABLE, "no_person", "the picture is very dark", _dark),
    Case(
        "blown_out",
        "blown_out.jpg",
        NOT_MEASURABLE,
        "no_person",
        "the picture is almost white (overexposed)",
        _blown_out,
    ),
    # The person stands at full height, but the pose model sees the 7:1 picture shrunk to
    # a square; the message names the panorama and says to crop.
    Case(
        "very_wide_panorama",
        "panorama.jpg",
        NOT_MEASURABLE,
        "no_person",
        "very wide picture (7:1, like a panorama)",
        _panorama,
    ),
    Case(
        "no_person_car_drawing",
        "car_drawing.jpg",
        NOT_MEASURABLE,
        "no_person",
        "No person was found",
        _real("car_drawing_named_side.jpg"),
    ),
    Case("cat", "cat.png", NOT_MEASURABLE, "no_person", "No person was found", _cat),
    Case(
        "three_people",
        "three_people.jpg",
        NOT_MEASURABLE,
        "several_people",
        "More than one person",
        _real("three_people.jpg"),
    ),
    Case(
        "front_view",
        "front_view.png",
        NOT_MEASURABLE,
        "not_side_view",
        "not a side view",
        _real("front_full_body.png"),
    ),
    Case(
        "back_view",
        "back_view.jpg",
        NOT_MEASURABLE,
        "not_side_view",
        "not a side view",
        _copy_back_view,
    ),
    Case(
        "lying_down",
        "lying_down.jpg",
        NOT_MEASURABLE,
        "not_standing",
        "does not look like relaxed standing",
        _lying_down,
    ),
    Case(
        "sitting_cyclist",
        "cyclist.jpg",
        NOT_MEASURABLE,
        "not_standing",
        "does not look like relaxed standing",
        _real("cyclist_side.jpg"),
    ),
    Case(
        "cropped_at_knees",
        "cropped_knees.jpg",
        NOT_MEASURABLE,
        "body_cropped",
        "Part of the body is cut off or hidden",
        _cropped_at_knees,
    ),
    Case(
        "upper_body_portrait",
        "portrait.jpg",
        NOT_MEASURABLE,
        "body_cropped",
        "Part of the body is cut off or hidden",
        _real("upper_body_portrait.jpg"),
    ),
    # MediaPipe finds nobody below about 40-50 % of the picture height (both models, on
    # these synthetic rooms), so a tiny person is "not found", and the hint says why.
    Case(
        "tiny_person_4000x3000",
        "tiny_person.jpg",
        NOT_MEASURABLE,
        "no_person",
        "close enough that your body fills most of the picture's height",
        _tiny_person,
    ),
)


def build_corpus(folder: Path, cases: tuple[Case, ...] = CASES) -> Path:
    """Write every case's file into ``folder`` (created); returns ``folder``.

    Files already there are kept, so two test modules can share one folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    src = Sources()
    for case in cases:
        path = folder / case.file
        if not path.exists():
            path.write_bytes(case.make(src))
    return folder
