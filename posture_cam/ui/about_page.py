"""The "About" page: what is measured and how, how accurate it is, what the evidence says,
the thresholds, how change against your own baseline is judged, and privacy.

Every number comes from the code or data that produce the results (the conventions table
in :mod:`posture_cam.measure.geometry`, the shipped calibration,
:data:`~posture_cam.measure.classify.THRESHOLDS` and the gate thresholds, the bench's
repeatability in ``posture_cam/data/repeatability.json``), so the page cannot drift from
what the app does.
"""

from __future__ import annotations

import importlib.metadata

import streamlit as st

from posture_cam.history.baseline import (
    DEFAULT_BASELINE_N,
    METRIC_NAMES,
    TRACKED,
    sdc95,
)
from posture_cam.history.repeatability import load_repeatability
from posture_cam.history.store import ENV_DATA_DIR, default_history_path
from posture_cam.measure import geometry
from posture_cam.measure.calibration import load_calibration
from posture_cam.measure.classify import THRESHOLDS
from posture_cam.measure.gates import DEFAULT_THRESHOLDS
from posture_cam.report.exercises import DISCLAIMER, EVIDENCE_NOTE
from posture_cam.report.guided_record import GUIDED_TITLES, GuidedKind
from posture_cam.report.guided_text import HOW_TO, NOT_A_DIAGNOSIS, load_bench_figures
from posture_cam.report.record import METRIC_LABELS
from posture_cam.report.wording import MEANING_NOTES, minus

__all__ = ["conventions_table", "render_about_page", "repeatability_rows"]


def conventions_table(doc: str | None = None) -> list[dict[str, str]]:
    """The angle-conventions table of :mod:`posture_cam.measure.geometry`'s docstring, as rows.

    Reads the reStructuredText "simple table" (three columns between ``=====`` rules) so the
    page shows exactly what the code documents. Empty if the table is not found.
    """
    text = doc if doc is not None else (geometry.__doc__ or "")
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if "==" in line and set(line.strip()) <= {"=", " "}]
    if len(rules) < 3:
        return []
    rule = lines[rules[0]]
    spans: list[tuple[int, int]] = []
    start = None
    for j, ch in enumerate(rule + " "):
        if ch == "=" and start is None:
            start = j
        elif ch != "=" and start is not None:
            spans.append((start, j))
            start = None
    if len(spans) != 3:
        return []

    def cells(line: str) -> list[str]:
        out = []
        for k, (a, _end) in enumerate(spans):
            end = len(line) if k == len(spans) - 1 else spans[k + 1][0]
            out.append(line[a:end].strip())
        return out

    header = cells(lines[rules[0] + 1])
    rows = []
    for line in lines[rules[1] + 1 : rules[2]]:
        if line.strip():
            rows.append(dict(zip(header, cells(line), strict=True)))
    return rows


_VARIANT_ORDER = ("full", "lite", "heavy")


def _for_people(row: dict[str, str]) -> dict[str, str]:
    """A conventions row with the measure's name as the results show it, not the code's."""
    first, *_ = row
    name = row[first]
    label = METRIC_LABELS[name][0] if name in METRIC_LABELS else _OTHER_NAMES.get(name, name)
    # The other headings come from the README's table ("points", "0° and sign").
    rest = {k[:1].upper() + k[1:]: v for k, v in row.items() if k != first}
    return {"Measure": label, **rest}


_OTHER_NAMES = {"camera_roll_deg": "Camera roll (+ = turned clockwise)"}


def _accuracy() -> None:
    cal = load_calibration()
    variants = sorted(
        cal.variants, key=lambda v: _VARIANT_ORDER.index(v) if v in _VARIANT_ORDER else 99
    )
    modes = (
        ("clean", "One picture"),
        ("flagged", "Something in the way, reading kept"),
        ("change", "A change between two checks"),
    )

    def cell(variant: str, metric: str, mode: str) -> str:
        e = cal.variant(variant).error(metric, mode)
        return f"± {e.mae:.1f}° (95 % under {e.p95_abs_error:.1f}°)"

    rows = [
        (v, mode, label)
        for v in variants
        for mode, label in modes
        # A kind of reading that is never kept (every occluder found blocks) has no error.
        if cal.variant(v).error("pelvic_tilt_deg", mode).n
    ]
    # Short columns that wrap: the table must fit the page, a phone's included.
    st.table(
        {
            "Pose model": [
                ("photos" if v == cal.default_variant else "live" if v == "lite" else v)
                + f": {label.lower()}"
                for v, _, label in rows
            ],
            "Pelvic tilt": [cell(v, "pelvic_tilt_deg", m) for v, m, _ in rows],
            "Lower-back curve": [cell(v, "lumbar_lordosis_deg", m) for v, m, _ in rows],
        },
        hide_index=True,
    )
    st.markdown(
        "The ± is the mean error, measured on **rendered** 3D bodies whose true angles are "
        "known: hundreds of bodies the estimate never saw while it learned, photographed "
        "clean and again with long hair, loose tops, hoods, arms behind the back, bags, a "
        "second person, phone compression, blur and dim light painted in; 95 % of the errors "
        "were smaller than the figure in brackets. A **change** between two of your checks is "
        "more accurate than a single reading, because most of the error comes from the body "
        "and clothes and cancels between them. Real photos have not been measured against "
        "X-rays or skin markers and are likely less accurate."
    )
    others = [v for v in _VARIANT_ORDER if v not in variants]
    if others:
        st.caption(
            f"The {', '.join(others)} model{'s use' if len(others) > 1 else ' uses'} the "
            f"{cal.default_variant} model's figures; not measured separately."
        )
    info = cal.info.get(f"{cal.default_variant}_info", {})
    rel = info.get("validation_reliability") if isinstance(info, dict) else None
    if rel:
        st.markdown(
            "**Does the confidence mean what it says?** On the same held-out pictures, "
            "how often the pattern was right for each stated confidence (photos):"
        )
        st.table(
            {
                "Stated": [f"{100 * b['from']:.0f}–{100 * b['to']:.0f} %" for b in rel["bins"]],
                "Pictures": [str(b["n"]) for b in rel["bins"]],
                "Right": [f"{100 * b['observed']:.0f} %" for b in rel["bins"]],
            },
            hide_index=True,
        )
        st.caption(
            f"Average gap between stated and observed: {100 * rel['ece']:.1f} points. "
            f"No result states more than {100 * cal.variant(None).confidence.cap:.0f} %."
        )


def _clothing() -> None:
    st.markdown(
        "The pelvis and the lower back are read from the **outline of your back**, so "
        "anything that hides that outline changes the numbers:\n"
        "- **A loose top, shirt or hoodie** hangs from the shoulder blades straight down to "
        "the buttocks and bridges the hollow of the lower back: the curve reads flatter and "
        "the pelvis more tucked under than they are.\n"
        "- **Long hair or a ponytail** on the upper back, and **a hood**, change the upper "
        "end of the curve.\n"
        "- **Hands on the hips, an arm or elbow behind the back**, a **bag** or "
        "**someone behind you** become part of the outline.\n\n"
        "posture_cam looks for each of these. When it finds one it says so and either gives "
        "no result (when such pictures were measured too wrong to be useful) or keeps the "
        "reading with the wider ± measured for such pictures.\n\n"
        "**For a good reading**: a fitted top or a sports top (or tuck your shirt in) and "
        "fitted shorts or leggings; hair tied up or brought forward; arms hanging relaxed in "
        "front of your thighs or crossed on your chest; no bag; stand side-on in good light "
        "against a plain wall, with only you in the picture."
    )


def _thresholds() -> None:
    t = THRESHOLDS
    norms = (t.pelvic_tilt, t.lumbar_lordosis)
    # A table that wraps: on a phone a data grid would cut the last columns off.
    st.table(
        [
            {
                "Measure": n.label[:1].upper() + n.label[1:],
                "Published norm": f"{n.population_mean:.0f} ± {n.population_sd:.0f}°",
                "Offset to our scale": f"{minus(f'{n.offset_to_ours:+.0f}')}°",
                "Typical on our scale": f"{minus(f'{n.neutral:.0f}')} ± {n.population_sd:.0f}°",
            }
            for n in norms
        ],
        hide_index=True,
    )
    st.caption(
        "Sources: " + " · ".join(f"{n.label[:1].upper() + n.label[1:]}: {n.source}" for n in norms)
    )
    st.markdown(
        f"- Each angle becomes a standard score (how many SD from typical); the pattern "
        f"follows their mean. **Increased** above +{t.pattern_z:.1f} SD, **flattened** below "
        f"−{t.pattern_z:.1f} SD, **neutral** in between.\n"
        f"- If tilt and curve point opposite ways, each by more than {t.contradiction_z:.1f} SD, "
        "the result is **inconclusive**: within one person they move together, so the picture "
        "is probably misleading.\n"
        "- The confidence is the chance the call would stay the same given the measurement "
        "error (±)."
    )
    g = DEFAULT_THRESHOLDS
    with st.expander("Photo quality gates"):
        st.markdown(
            f"- Side view: left–right shoulder and hip separation ≤ {g.max_side_view_ratio:.2f} "
            "of trunk length (real side views are under about 0.16, front views over 0.5).\n"
            f"- Whole body visible: ear, shoulder, hip, knee, ankle, heel and toe of the near "
            f"side, each with visibility ≥ {g.min_visibility:.1f}.\n"
            f"- Person large enough: body at least {g.min_body_height_ratio:.0%} of the picture "
            f"height and {g.min_body_height_px:.0f} px.\n"
            f"- Standing: trunk lean ≤ {g.max_trunk_lean_deg:.0f}°, knee bend ≤ "
            f"{g.max_knee_flexion_deg:.0f}°, feet under the hips.\n"
            "- One person: a second well-visible person makes the picture inconclusive."
        )


def repeatability_rows() -> list[dict[str, str]]:
    """Per source (photo, live) and model: each metric's SEM and SDC95 from the shipped bench."""
    rep = load_repeatability()
    rows = []
    for source, table in (("Photo", rep.photo), ("Live", rep.live)):
        variants = sorted(
            table, key=lambda v: _VARIANT_ORDER.index(v) if v in _VARIANT_ORDER else 99
        )
        for v in variants:
            row = {"Source": source, "Pose model": v}
            for metric in TRACKED:
                sem = table[v].get(metric)
                name = METRIC_NAMES[metric].capitalize()
                row[f"{name}: SEM"] = "–" if sem is None else f"{sem:.2f}°"
                row[f"{name}: SDC95"] = "–" if sem is None else f"±{sdc95(sem):.1f}°"
            rows.append(row)
    return rows


def _change() -> None:
    st.markdown(
        f"Your **baseline** is the median of your first {DEFAULT_BASELINE_N} good checks (or "
        "of the checks in a date range you pick on the History page). A later check's change "
        "against it counts as a **real change** only when it is larger than the **smallest "
        "detectable change**, SDC95 = 1.96 · √2 · SEM; anything smaller is **within noise**. "
        "The SEM is the spread of repeated checks of a person who did not change. It comes "
        "from the repeatability measured below or from your own repeated checks on the same day "
        "(same label), whichever is larger; a live check also counts the spread of its "
        "smoothing window. When a check and the baseline have different SEMs, the SDC is "
        "1.96 · √(check SEM² + baseline SEM²)."
    )
    st.dataframe(repeatability_rows(), hide_index=True, width="stretch")
    info = load_repeatability().info
    st.caption(
        "Measured by checking each synthetic side view again after small changes of the same "
        "still picture (re-encoding, ±2 % scale, 1–2 px shift, ±0.5° rotation). That is the "
        "pipeline's noise only, not standing again or moving the camera, so these are lower "
        "bounds: take three checks on your first day, stepping away in between, and your "
        "own, larger spread takes over. Live rows: independent takes of the same still "
        "picture played as video, each until the result is steady. A live check uses the "
        "larger of its photo and live values (and of its window's spread)."
        + (f" Made {str(info['created'])[:10]}." if info.get("created") else "")
    )


def _guided_checks() -> None:
    """What each guided check measures, how to do it safely, its measured error, evidence."""
    full, lite = load_bench_figures("full"), load_bench_figures("lite")

    def both(a: float | None, b: float | None, unit: str, digits: int = 1) -> str:
        if a is None or b is None:
            return "not measured yet"
        return f"{a:.{digits}f}{unit} (full model), {b:.{digits}f}{unit} (lite model)"

    st.markdown(
        "On **Live check**, with the camera or from a recorded video (photos for the "
        "hip-flexor test). Each result gives its numbers with ±, and the errors below were "
        "measured on test material whose truth we set (rendered bodies, and a rendered "
        "trunk whose outline we moved by known amounts); real people, clothes and rooms "
        "add error."
    )
    texts: dict[GuidedKind, str] = {
        "pelvic_tilt_range": (
            "Pelvic tilt and lower-back curve in four still holds (relaxed, tipped forward, "
            "tucked under, relaxed again), the forward and backward range, and where relaxed "
            "sits in your own range. Most between-people error cancels in the differences. "
            "With the camera, the holds are recorded and measured after the last step, the "
            "same way as a recorded video, so a slow computer makes the result come later, "
            "not different. Changes between holds were off by "
            + both(full.range_change_mae_tilt_deg, lite.range_change_mae_tilt_deg, "°")
            + " on average. Levine & Whittle (1996) measured about 11° forward and 9° "
            "backward in young adults; across people, hip-flexor length predicts standing "
            "tilt poorly (Heino 1990; Youdas 1996; Preece 2021)."
        ),
        "hip_flexor_test": (
            "The hanging thigh's angle to the horizontal and the hanging knee's bend in the "
            "modified Thomas test, each side. A thigh above the horizontal suggests short "
            "iliopsoas, a knee bent less than 80° a short rectus femoris (Kendall; Harvey "
            "1998; Ferber et al. 2010). On lying renders the thigh angle was off by "
            + both(full.thomas_thigh_mae_deg, lite.thomas_thigh_mae_deg, "°")
            + " and the knee bend by "
            + both(full.thomas_knee_mae_deg, lite.thomas_knee_mae_deg, "°")
            + "; clinicians' own readings vary by several degrees (Peeler & Anderson 2007, "
            "2008)."
        ),
        "breathing": (
            "The in-and-out movement of the front outline at the chest and the belly, the "
            "rate, and the belly's share of the movement: a description of how you breathed, "
            "not of the diaphragm or the psoas (Kaneko & Horie 2012). On test videos the rate "
            "was off by "
            + both(full.breathing_rate_mae_per_min, lite.breathing_rate_mae_per_min, " a minute")
            + " and the belly share by "
            + both(full.breathing_share_mae_pct, lite.breathing_share_mae_pct, " points", 0)
            + "."
        ),
    }
    for kind, text in texts.items():
        st.markdown(f"**{GUIDED_TITLES[kind]}.** {text}")
        with st.expander(f"How to do the {GUIDED_TITLES[kind].lower()} safely"):
            st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(HOW_TO[kind], 1)))
    st.caption(NOT_A_DIAGNOSIS)


def render_about_page() -> None:
    """Draw the page."""
    st.title("About posture_cam")
    st.markdown(
        "posture_cam looks at a **side view** of a person standing and estimates two angles "
        "that describe the pelvis and the lower back, then says which of three patterns they "
        "suggest and offers matching exercises. It gives wellness information, not a "
        "diagnosis."
    )

    st.header("What is measured, and how")
    st.markdown(
        "MediaPipe's pose model finds 33 body landmarks and an outline (mask) of the person. "
        "It has no landmark on the spine or the bony pelvis, so the lower-back curve and the "
        "pelvic tilt are read from the **outline of the back and buttocks**, with landmarks "
        "for scale and levels. The person is mirrored to face right before measuring."
    )
    rows = conventions_table()
    if rows:
        st.table([_for_people(r) for r in rows], hide_index=True)
    else:
        st.code(geometry.__doc__ or "", language="text")
    st.markdown("\n".join(f"- {n}" for n in MEANING_NOTES))

    st.header("How accurate it is")
    _accuracy()

    st.header("Clothing, hair and arms")
    _clothing()

    st.header("What the evidence says")
    st.markdown(EVIDENCE_NOTE)
    st.markdown(
        'In that article, a tight psoas goes with an increased curve ("duck butt") and a '
        'weak or overstretched one with a flattened curve ("flat butt"). Treat that link as '
        "a hypothesis, not a finding: the app measures posture, not muscles. What a camera "
        "can do reliably is track **your own** numbers over time, in the same set-up."
    )

    st.header("Guided checks")
    _guided_checks()

    st.header("Thresholds")
    _thresholds()

    st.header("How change is judged")
    _change()

    st.header("Privacy")
    try:
        mp_version = importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        mp_version = "1.2.x"
    st.markdown(
        "- Everything runs **on this computer**. The app serves on 127.0.0.1, so other "
        "devices cannot reach it unless you change that setting.\n"
        "- Photos and camera frames are analysed in memory (the range check's frames are "
        "kept there until they are measured). Kept results live in this "
        "browser session only: **nothing is written to disk** unless you download a report "
        "or press **Save to history**.\n"
        "- **Save to history** keeps that check's numbers (angles with ±, pattern, quality "
        "notes, your label and note) in a file on this computer; the picture only if you "
        "tick *Also keep the picture*. Delete one check or all of them on the **History** "
        f"page. The file: `{default_history_path()}` (set `{ENV_DATA_DIR}` to put it "
        "elsewhere).\n"
        "- The app makes no network connection of its own, except once, when a pose model "
        "is needed and none is on this computer: it then fetches it from Google's model "
        "storage, or the files it is built from with npm and pip.\n"
        f"- **MediaPipe {mp_version}**, the pose library, sends usage metrics to Google "
        "(its NOTICE file says so; at exit it contacts play.googleapis.com). These are "
        "usage statistics, **not images**. There is no documented switch to turn this off."
    )
    st.caption(DISCLAIMER)
    st.caption(
        "Pose models: BlazePose GHUM 3D and the BlazePose detector, © Google LLC, under the "
        "Apache License 2.0; the licence text, and a note of the metadata added when the app "
        "builds a model itself, come with posture_cam (its LICENSES folder)."
    )
