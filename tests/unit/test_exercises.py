"""Tests for the exercise catalogue (posture_cam.report.exercises)."""

from __future__ import annotations

import dataclasses

import pytest

from posture_cam.report import exercises as ex
from posture_cam.report.exercises import (
    ALL_ADVICE,
    ALL_EXERCISES,
    DISCLAIMER,
    EVIDENCE_NOTE,
    Advice,
    Exercise,
    exercises_for,
    general_advice,
    get_exercise,
)
from posture_cam.types import PATTERNS

ACTIVE_PATTERNS = [p for p in PATTERNS if p != "inconclusive"]


def _keys(items: tuple[Exercise, ...] | tuple[Advice, ...]) -> list[str]:
    return [item.key for item in items]


def _valid_exercise_kwargs() -> dict[str, object]:
    return {
        "key": "test_move",
        "name": "Test move",
        "why": "It helps.",
        "steps": ("One.", "Two.", "Three."),
        "dose": "Hold 20–30 s",
        "cautions": ("Stop if it causes pain.",),
        "source": "test",
    }


def test_patterns_are_the_four_documented_ones() -> None:
    assert PATTERNS == ("increased", "flattened", "neutral", "inconclusive")


@pytest.mark.parametrize("pattern", ACTIVE_PATTERNS)
def test_every_active_pattern_has_at_least_three_exercises(pattern: str) -> None:
    found = exercises_for(pattern)  # type: ignore[arg-type]
    assert isinstance(found, tuple)
    assert len(found) >= 3
    assert len(set(_keys(found))) == len(found), "no exercise listed twice for a pattern"
    assert all(e in ALL_EXERCISES for e in found)


def test_inconclusive_has_no_exercises_but_still_general_advice() -> None:
    assert exercises_for("inconclusive") == ()
    keys = _keys(general_advice("inconclusive"))
    assert "standing_breaks" in keys
    assert "belly_breathing" in keys


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_every_exercise_is_complete(exercise: Exercise) -> None:
    for field in dataclasses.fields(Exercise):
        value = getattr(exercise, field.name)
        assert value, f"{exercise.key}.{field.name} is empty"
        if isinstance(value, tuple):
            assert all(isinstance(s, str) and s.strip() for s in value)
        else:
            assert isinstance(value, str) and value.strip()
    assert 3 <= len(exercise.steps) <= 6
    assert exercise.source.startswith("SEED:")


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_every_exercise_says_when_to_see_a_professional(exercise: Exercise) -> None:
    text = " ".join(exercise.cautions).lower()
    assert "pain that persists" in text
    assert "physiotherapist" in text


@pytest.mark.parametrize("key", ["cobra", "locust"])
def test_face_down_poses_warn_about_pregnancy_and_surgery(key: str) -> None:
    text = " ".join(get_exercise(key).cautions).lower()
    assert "pregnan" in text
    assert "surgery" in text


def test_exercise_keys_are_unique() -> None:
    keys = _keys(ALL_EXERCISES)
    assert len(keys) == len(set(keys))


def test_advice_keys_are_unique_and_fields_non_empty() -> None:
    keys = _keys(ALL_ADVICE)
    assert len(keys) == len(set(keys))
    for advice in ALL_ADVICE:
        assert advice.title.strip() and advice.text.strip() and advice.source.strip()


def test_every_catalogued_exercise_is_used_by_some_pattern() -> None:
    used = {e.key for p in PATTERNS for e in exercises_for(p)}
    assert used == set(_keys(ALL_EXERCISES))


def test_increased_pattern_keeps_the_articles_extension_poses() -> None:
    keys = _keys(exercises_for("increased"))
    for expected in (
        "bridge",
        "warrior",
        "pigeon",
        "plank",
        "cobra",
        "locust",
        "fish",
        "hip_flexor_stretch",
    ):
        assert expected in keys
    assert "Locust" in get_exercise("locust").name
    assert "Belly-down boat" in get_exercise("locust").name


def test_increased_general_advice_has_breaks_breathing_massage_and_balance() -> None:
    advice = {a.key: a for a in general_advice("increased")}
    assert {"standing_breaks", "belly_breathing", "massage", "balance_flexion"} <= set(advice)
    breathing = advice["belly_breathing"]
    assert "5–10" in breathing.title
    assert "5–10 minutes" in breathing.text
    assert "30–60" in advice["standing_breaks"].text
    assert "deep" in advice["massage"].text and "awkward" in advice["massage"].text


def test_flattened_pattern_has_core_walking_and_visualisation() -> None:
    found = exercises_for("flattened")
    keys = _keys(found)
    assert {"dead_bug", "bird_dog", "side_plank", "walking", "visualisation"} <= set(keys)
    core = [e for e in found if "core stabilisation" in e.source]
    assert len(core) >= 3
    for e in core:
        assert "common" in e.why.lower() and "core-stabilisation" in e.why.lower()
    visual = get_exercise("visualisation")
    assert "stronger and steadier" in visual.why
    assert "belly_breathing" in _keys(general_advice("flattened"))


def test_neutral_is_a_short_maintenance_set() -> None:
    keys = _keys(exercises_for("neutral"))
    assert 3 <= len(keys) <= 5
    assert {"bridge", "plank", "hip_flexor_stretch", "walking"} <= set(keys)
    assert "standing_breaks" in _keys(general_advice("neutral"))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_points_to_a_professional(pattern: str) -> None:
    assert "see_a_professional" in _keys(general_advice(pattern))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("tight", ValueError),
        ("", ValueError),
        ("Increased", ValueError),
        (None, TypeError),
        (3, TypeError),
    ],
)
def test_bad_pattern_raises(pattern: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="pattern"):
        exercises_for(pattern)  # type: ignore[arg-type]
    with pytest.raises(error, match="pattern"):
        general_advice(pattern)  # type: ignore[arg-type]


def test_unknown_pattern_message_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="increased, flattened, neutral, inconclusive"):
        exercises_for("duck_butt")  # type: ignore[arg-type]


def test_get_exercise_returns_the_catalogue_entry() -> None:
    assert get_exercise("bridge") is ex.BRIDGE
    assert get_exercise("bridge").name == "Bridge"


def test_get_exercise_unknown_key_raises_clear_key_error() -> None:
    with pytest.raises(KeyError, match="no exercise with key 'squat'.*bridge"):
        get_exercise("squat")


def test_exercise_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.BRIDGE.name = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"name": ""}, ValueError, "name must not be empty"),
        ({"why": "   "}, ValueError, "why must not be empty"),
        ({"key": "Bad Key"}, ValueError, "lower_snake_case"),
        ({"steps": ("One.", "Two.")}, ValueError, "3 to 6 items, got 2"),
        ({"steps": tuple("1234567")}, ValueError, "3 to 6 items, got 7"),
        ({"steps": ["One.", "Two.", "Three."]}, TypeError, "tuple of str, got list"),
        ({"steps": ("One.", "", "Three.")}, ValueError, r"steps\[1\] must not be empty"),
        ({"cautions": ()}, ValueError, "cautions must have"),
        ({"dose": 20}, TypeError, "dose must be a str, got int"),
    ],
)
def test_exercise_validates_its_fields(
    change: dict[str, object], error: type[Exception], match: str
) -> None:
    kwargs = _valid_exercise_kwargs() | change
    with pytest.raises(error, match=match):
        Exercise(**kwargs)  # type: ignore[arg-type]


def test_advice_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="text must not be empty"):
        Advice(key="x", title="X", text="", source="test")
    with pytest.raises(ValueError, match="lower_snake_case"):
        Advice(key="has-dash", title="X", text="Y", source="test")


def test_disclaimer_is_honest_and_short() -> None:
    text = DISCLAIMER.lower()
    assert "not a diagnosis" in text
    assert "wellness" in text
    assert len(DISCLAIMER) < 400


def test_evidence_note_cites_the_design_sources() -> None:
    for citation in ("Youdas 1996", "Heino 1990", "Naseri 2010", "Levine & Whittle 1996"):
        assert citation in EVIDENCE_NOTE
    assert "hip flexors" in EVIDENCE_NOTE
