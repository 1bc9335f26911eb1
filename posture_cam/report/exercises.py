"""The exercise catalogue, as data.

The content restates the physiotherapy blog article on the psoas the product is based on:
hip- and trunk-extension poses, a hip-flexor stretch, standing breaks, belly breathing and
massage for the "tight psoas" pattern (increased lumbar curve / anterior pelvic tilt); core
stabilisation, walking or running, and visualisation for the "weak or overstretched psoas"
pattern (flattened curve / posterior tilt). Steps and doses are standard, conservative,
plain-English instructions; each item says where its advice comes from in ``source``.

Pure data: no I/O, nothing computed at import time beyond these constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from posture_cam.types import PATTERNS, Pattern

__all__ = [
    "Exercise",
    "Advice",
    "ALL_EXERCISES",
    "ALL_ADVICE",
    "DISCLAIMER",
    "EVIDENCE_NOTE",
    "exercises_for",
    "general_advice",
    "get_exercise",
]

MIN_STEPS = 3
MAX_STEPS = 6


def _check_text(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{owner}.{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{owner}.{name} must not be empty")


def _check_texts(owner: str, name: str, value: object, min_len: int, max_len: int) -> None:
    if not isinstance(value, tuple):
        raise TypeError(f"{owner}.{name} must be a tuple of str, got {type(value).__name__}")
    if not min_len <= len(value) <= max_len:
        raise ValueError(f"{owner}.{name} must have {min_len} to {max_len} items, got {len(value)}")
    for i, item in enumerate(value):
        _check_text(owner, f"{name}[{i}]", item)


def _check_key(owner: str, key: object) -> None:
    _check_text(owner, "key", key)
    if not (isinstance(key, str) and key.isidentifier() and key == key.lower()):
        raise ValueError(f"{owner}.key must be a lower_snake_case identifier, got {key!r}")


@dataclass(frozen=True)
class Exercise:
    """One exercise, with everything needed to show it to a user.

    Attributes:
        key: Stable lower_snake_case id, e.g. ``"bridge"``.
        name: Display name, e.g. ``"Bridge"``.
        why: Why it helps, in one or two plain sentences faithful to the article.
        steps: How to do it, 3 to 6 short imperative steps.
        dose: How long, how often, e.g. ``"Hold 20–30 s, 3 rounds, once or twice a day"``.
        cautions: Safety notes; each exercise ends with "see a professional if pain persists".
        source: Where the advice comes from, e.g. ``"SEED: a hip-flexor stretch"``.

    Raises:
        TypeError: If a field has the wrong type (e.g. ``steps`` given as a list).
        ValueError: If a text is empty, ``key`` is not lower_snake_case, or ``steps`` does
            not have 3 to 6 items.
    """

    key: str
    name: str
    why: str
    steps: tuple[str, ...]
    dose: str
    cautions: tuple[str, ...]
    source: str

    def __post_init__(self) -> None:
        _check_key("Exercise", self.key)
        owner = f"Exercise({self.key!r})"
        for name in ("name", "why", "dose", "source"):
            _check_text(owner, name, getattr(self, name))
        _check_texts(owner, "steps", self.steps, MIN_STEPS, MAX_STEPS)
        _check_texts(owner, "cautions", self.cautions, 1, 10)


@dataclass(frozen=True)
class Advice:
    """A general advice item (not an exercise), e.g. standing breaks or belly breathing.

    Attributes:
        key: Stable lower_snake_case id, e.g. ``"belly_breathing"``.
        title: Short heading, e.g. ``"Deep belly breathing, 5–10 minutes"``.
        text: The advice itself, a few plain sentences.
        source: Where the advice comes from.

    Raises:
        TypeError: If a field is not a str.
        ValueError: If a field is empty or ``key`` is not lower_snake_case.
    """

    key: str
    title: str
    text: str
    source: str

    def __post_init__(self) -> None:
        _check_key("Advice", self.key)
        owner = f"Advice({self.key!r})"
        for name in ("title", "text", "source"):
            _check_text(owner, name, getattr(self, name))


# --- Shared caution wording -------------------------------------------------------------

_STOP_IF_PAIN = "Stop if it causes pain, numbness or tingling."
_SEE_PRO = "See a physiotherapist or doctor if you have pain that persists."
_PRONE = "Skip face-down poses if you are pregnant or have had recent abdominal or back surgery."
_SUPINE_PREGNANCY = (
    "Later in pregnancy, avoid long spells lying flat on your back; ask your midwife or "
    "physiotherapist for a version that suits you."
)
_BELLY_LOAD = (
    "If you are pregnant or have had recent abdominal surgery, check with your midwife, "
    "doctor or physiotherapist first."
)
_BREATHE = "Keep breathing steadily; don't hold your breath."

_SEED_EXTENSION = "SEED: yoga poses for hip and trunk extension"
_SEED_CORE = "SEED: core stabilisation exercises"

# --- Exercises ------------------------------------------------------------------------

HIP_FLEXOR_STRETCH = Exercise(
    key="hip_flexor_stretch",
    name="Kneeling hip-flexor stretch",
    why=(
        "Sitting keeps the hip flexors, the psoas among them, in a shortened position. "
        "This stretch opens the front of the hip by taking it into extension, the balance "
        "the physiotherapy article on the psoas recommends."
    ),
    steps=(
        "Kneel on your right knee on a folded towel, left foot flat in front of you, "
        "left knee above the ankle.",
        "Stand your trunk tall, gently tuck your tailbone under and squeeze your right buttock.",
        "Shift your hips slowly forward until you feel a stretch at the front of the right hip.",
        "Keep your lower back from arching: the stretch should come from the hip, not the back.",
        "Breathe slowly, hold, then switch sides.",
    ),
    dose="Hold 20–30 s each side, 2–3 rounds, once or twice a day",
    cautions=(
        "Pad the kneeling knee; if kneeling hurts, do the stretch standing in a short lunge.",
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source="SEED: a hip-flexor stretch",
)

BRIDGE = Exercise(
    key="bridge",
    name="Bridge",
    why=(
        "Lifting the hips works the buttocks and extends the hips, opening the front of the "
        "hip that sitting keeps bent. It also trains the trunk to hold the pelvis steady."
    ),
    steps=(
        "Lie on your back, knees bent, feet flat and hip-width apart, arms by your sides.",
        "Breathe out, gently draw your belly in and squeeze your buttocks.",
        "Lift your hips until shoulders, hips and knees form a straight line; don't go "
        "higher by arching your lower back.",
        "Hold for a few slow breaths, then roll down slowly, one part of the spine at a time.",
    ),
    dose="Hold 5–10 s, 8–10 times, 1–2 sets, once a day",
    cautions=(
        "Keep your neck relaxed and don't turn your head while your hips are up.",
        _SUPINE_PREGNANCY,
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Bridge)",
)

WARRIOR = Exercise(
    key="warrior",
    name="Low lunge / Warrior I",
    why=(
        "The back leg's hip is held in extension, which stretches the hip flexors, the psoas "
        "among them, while the legs and trunk work to keep you steady."
    ),
    steps=(
        "Step one foot forward into a long stride, front knee over the ankle, back leg long.",
        "Lower the back knee onto a cushion for a low lunge, or keep it lifted and press the "
        "back heel down for Warrior I.",
        "Face your hips forward, tuck your tailbone slightly and draw your belly in, so you "
        "feel the stretch at the front of the back hip.",
        "Raise your arms overhead if your shoulders allow, keeping your ribs down rather "
        "than leaning back.",
        "Breathe slowly, hold, then switch sides.",
    ),
    dose="Hold 20–30 s each side, 2–3 rounds, once a day",
    cautions=(
        "Keep the front knee over the ankle and in line with your toes.",
        "Hold a chair or a wall for balance if you need to.",
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Warrior)",
)

PIGEON = Exercise(
    key="pigeon",
    name="Pigeon",
    why=(
        "The back leg stretches into hip extension while the front leg opens the outer hip "
        "and buttock, easing hips that spend the day bent."
    ),
    steps=(
        "Start on hands and knees. Bring your right knee forward behind your right wrist, "
        "shin angled across towards your left hip.",
        "Slide your left leg straight back, top of the foot on the floor.",
        "Keep your hips level; put a folded blanket under your right buttock if it doesn't "
        "reach the floor.",
        "Stay up on your hands with a tall chest, or lower onto your forearms if that feels "
        "comfortable.",
        "Breathe slowly, hold, then come back to hands and knees and switch sides.",
    ),
    dose="Hold 30–60 s each side, 1–2 rounds, once a day",
    cautions=(
        "Go gently with knee or hip problems; if the front knee hurts, do the stretch lying "
        "on your back instead, with one ankle crossed over the other knee.",
        "If you have had a hip replacement, check with your surgeon or physiotherapist first.",
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Pigeon)",
)

PLANK = Exercise(
    key="plank",
    name="Plank",
    why=(
        "Holding a straight line from head to heels trains the deep trunk muscles to keep the "
        "spine and pelvis steady with the hips extended rather than bent. It is also one of "
        "the common core-stabilisation exercises."
    ),
    steps=(
        "Lie face down with your elbows under your shoulders and forearms on the floor.",
        "Tuck your toes and lift your body into a straight line from head to heels.",
        "Draw your belly in gently and squeeze your buttocks so your hips neither sag nor lift.",
        "Look at the floor so your neck stays long, and keep breathing.",
        "For an easier version, keep your knees on the floor.",
    ),
    dose="Hold 15–30 s, 3 rounds with a short rest, once a day; build up slowly",
    cautions=(
        "Stop if your lower back sags or aches; rest, then try the knees-down version.",
        _BREATHE,
        _BELLY_LOAD,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Plank); also a common core-stabilisation exercise",
)

COBRA = Exercise(
    key="cobra",
    name="Cobra",
    why=(
        "A gentle back bend that takes the trunk and hips into extension, the opposite of "
        "sitting, and stretches the front of the body."
    ),
    steps=(
        "Lie face down, legs hip-width apart, tops of the feet on the floor, hands under "
        "your shoulders.",
        "Press the tops of your feet and the front of your pelvis lightly into the floor.",
        "Breathing in, lift your head and chest with your back muscles, hands only helping, "
        "elbows bent and close to your sides.",
        "Keep your neck long and shoulders away from your ears; lift only as high as feels "
        "comfortable.",
        "Hold for a few breaths, then lower slowly.",
    ),
    dose="Hold 10–20 s, 3–5 times, once a day",
    cautions=(
        "If bending back pinches or hurts your lower back, lift less or skip it.",
        _PRONE,
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Cobra)",
)

LOCUST = Exercise(
    key="locust",
    name="Belly-down boat (Locust)",
    why=(
        "Lifting the chest and legs while lying face down strengthens the muscles along the "
        "back of the body, buttocks included, and extends the hips and trunk."
    ),
    steps=(
        "Lie face down, arms by your sides with palms down, forehead resting on the floor.",
        "Reach your legs long behind you and press the front of your pelvis gently down.",
        "Breathing in, lift your head, chest, arms and legs a few centimetres off the floor.",
        "Keep looking at the floor so your neck stays long, and keep breathing.",
        "Hold briefly, then lower slowly as you breathe out.",
    ),
    dose="Hold 5–15 s, 3–5 times with a short rest, once a day",
    cautions=(
        "Lift only a little at first; if your lower back pinches or hurts, lift only the "
        "chest or only the legs, or skip it.",
        _PRONE,
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Belly-down boat / Locust)",
)

FISH = Exercise(
    key="fish",
    name="Supported Fish",
    why=(
        "Lying back over a cushion opens the chest and the front of the trunk, making room "
        "for slow, deep belly breathing."
    ),
    steps=(
        "Place a firm cushion or rolled blanket across your mat where your shoulder blades "
        "will rest.",
        "Lie back over it with your head on the floor or on a second cushion, so your neck "
        "feels comfortable.",
        "Keep your knees bent or legs straight and rest your arms out to the sides, palms up.",
        "Breathe slowly into your belly and let your chest open.",
        "To come out, bend your knees, roll onto one side and push up with your hands.",
    ),
    dose="Stay 1–3 minutes, once a day",
    cautions=(
        "Keep your head supported; don't let it drop back if you have neck problems or feel dizzy.",
        _SUPINE_PREGNANCY,
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_EXTENSION} (Fish)",
)

DEAD_BUG = Exercise(
    key="dead_bug",
    name="Dead bug",
    why=(
        "A common core-stabilisation exercise: the deep belly muscles learn to keep the "
        "lower back and pelvis still while the arms and legs move, building the steadiness "
        "that, says the physiotherapy article on the psoas, a weak psoas and trunk lack."
    ),
    steps=(
        "Lie on your back, arms pointing at the ceiling, hips and knees bent to 90° with "
        "your shins level.",
        "Gently draw your belly in so your lower back rests on the floor without pressing hard.",
        "Breathing out, slowly lower one arm behind you and straighten the opposite leg "
        "towards the floor, only as far as your back stays still.",
        "Return to the start and switch sides.",
    ),
    dose="6–10 slow reps each side, 2–3 sets, most days",
    cautions=(
        "Make the movement smaller if your lower back lifts off the floor.",
        _SUPINE_PREGNANCY,
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_CORE} (dead bug is a common example)",
)

BIRD_DOG = Exercise(
    key="bird_dog",
    name="Bird dog",
    why=(
        "A common core-stabilisation exercise that trains the back, buttock and belly muscles "
        "to hold the spine and pelvis steady while an arm and a leg move."
    ),
    steps=(
        "Start on hands and knees, hands under shoulders and knees under hips, back flat.",
        "Tighten your belly gently, as if bracing for a light cough.",
        "Reach one arm forward and the opposite leg back until both are level with your "
        "body, without your hips tipping or your back sagging.",
        "Hold 3–5 s, return slowly and switch sides.",
    ),
    dose="6–10 reps each side, 2–3 sets, most days",
    cautions=(
        "Pad your knees if kneeling is uncomfortable; move only the legs if your wrists hurt.",
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source=f"{_SEED_CORE} (bird dog is a common example)",
)

SIDE_PLANK = Exercise(
    key="side_plank",
    name="Side plank",
    why=(
        "A common core-stabilisation exercise for the side of the trunk and hip, helping "
        "to hold the pelvis level and the lower back steady."
    ),
    steps=(
        "Lie on your side with your elbow under your shoulder, knees bent (easier) or legs "
        "straight and stacked.",
        "Lift your hips so your body makes a straight line from head to knees (or feet).",
        "Keep your hips pushed forward, not rolling back, with your top hand on your hip.",
        "Breathe steadily, hold, then lower gently and switch sides.",
    ),
    dose="Hold 10–30 s each side, 2–3 rounds, most days",
    cautions=(
        "Start with your knees bent; straighten your legs only when that feels easy.",
        "Skip it if it hurts your shoulder.",
        _BELLY_LOAD,
        _SEE_PRO,
    ),
    source=f"{_SEED_CORE} (side plank is a common example)",
)

WALKING = Exercise(
    key="walking",
    name="Walking or running",
    why=(
        "The physiotherapy article on the psoas recommends walking and/or running: upright, "
        "rhythmic movement that works "
        "the hip and trunk muscles together and builds everyday strength and stamina."
    ),
    steps=(
        "Start with a brisk 10–20 minute walk at a pace where you can still talk.",
        "Stand tall, let your arms swing and take natural, comfortable strides.",
        "Add a few minutes each week, building towards 30 minutes on most days.",
        "If you like running, start with short jogs between spells of walking and build "
        "up gradually.",
    ),
    dose="20–30 minutes, most days; build up gradually",
    cautions=(
        "Wear supportive shoes, and start gently if you have been inactive.",
        "If you have a heart or lung condition or other health concerns, check with your "
        "doctor before you start running.",
        _STOP_IF_PAIN,
        _SEE_PRO,
    ),
    source="SEED: walking and/or running",
)

VISUALISATION = Exercise(
    key="visualisation",
    name="Intention and visualisation",
    why=(
        "The physiotherapy article on the psoas suggests picturing the muscles around your "
        "back, hips and abdomen growing "
        "stronger and steadier, supporting your spine. Use it to focus your core exercises; "
        "it adds to them rather than replacing them."
    ),
    steps=(
        "Sit or lie comfortably and take a few slow belly breaths.",
        "Picture the muscles around your back, hips and abdomen growing stronger and steadier.",
        "As you breathe out, imagine them wrapping around and supporting your spine.",
        "Keep that picture in mind while you do your core exercises.",
    ),
    dose="2–5 minutes, before or during your core exercises",
    cautions=(
        "It supports the exercises and any treatment; it doesn't replace them.",
        _SEE_PRO,
    ),
    source="SEED: intention and visualisation",
)

ALL_EXERCISES: tuple[Exercise, ...] = (
    HIP_FLEXOR_STRETCH,
    BRIDGE,
    WARRIOR,
    PIGEON,
    PLANK,
    COBRA,
    LOCUST,
    FISH,
    DEAD_BUG,
    BIRD_DOG,
    SIDE_PLANK,
    WALKING,
    VISUALISATION,
)
"""Every exercise in the catalogue, each once."""

_EXERCISES_BY_KEY: dict[str, Exercise] = {ex.key: ex for ex in ALL_EXERCISES}

_EXERCISES_BY_PATTERN: dict[Pattern, tuple[Exercise, ...]] = {
    "increased": (HIP_FLEXOR_STRETCH, BRIDGE, WARRIOR, PLANK, COBRA, LOCUST, PIGEON, FISH),
    "flattened": (DEAD_BUG, BIRD_DOG, SIDE_PLANK, PLANK, WALKING, VISUALISATION),
    "neutral": (BRIDGE, PLANK, HIP_FLEXOR_STRETCH, WALKING),
    "inconclusive": (),
}

# --- General advice -------------------------------------------------------------------

STANDING_BREAKS = Advice(
    key="standing_breaks",
    title="Standing breaks, every 30–60 minutes",
    text=(
        "If you sit most of the day, stand up every 30–60 minutes: walk a few steps, stretch "
        "tall, then carry on. Sitting keeps the hips and trunk bent; short breaks balance it."
    ),
    source="SEED: standing breaks when sitting most of the day",
)

BELLY_BREATHING = Advice(
    key="belly_breathing",
    title="Deep belly breathing, 5–10 minutes",
    text=(
        "Sit or lie comfortably with one hand on your belly. Breathe in slowly through your "
        "nose so your belly rises, then breathe out slowly; keep going for 5–10 minutes. "
        "The physiotherapy article on the psoas links the muscle to the diaphragm: slow belly "
        "breathing helps the muscle "
        "soften and relax, and is calmer than shallow chest breathing."
    ),
    source="SEED: deep breathing for 5–10 minutes; the psoas and the diaphragm",
)

BALANCE_FLEXION = Advice(
    key="balance_flexion",
    title="Balance bending with extending",
    text=(
        "Sitting, driving and many hobbies keep the hips and trunk bent. Don't overdo it: "
        "balance that time with hip and trunk extension, such as the poses here, standing "
        "and walking."
    ),
    source="SEED: don't overdo hip and trunk flexion; balance it with extension",
)

MASSAGE = Advice(
    key="massage",
    title="Massage",
    text=(
        "Massage, by yourself, a partner or a professional, can help the hip flexors relax. "
        "The psoas lies deep in the belly, so it may feel awkward at first: go slowly and "
        "gently, and move off any spot where you feel a pulse. Skip pressing into the belly "
        "if you are pregnant, have had recent abdominal surgery, or it hurts."
    ),
    source="SEED: massage (self, partner or professional)",
)

SEE_A_PROFESSIONAL = Advice(
    key="see_a_professional",
    title="When to see a professional",
    text=(
        "See a physiotherapist or doctor if you have pain that persists, pain that spreads "
        "down a leg, numbness, tingling or weakness. If one leg seems shorter than the other, "
        "the physiotherapy article on the psoas suggests a therapist work on the muscle for "
        "several sessions before "
        "trying a heel lift."
    ),
    source="SEED: signs of a tight or weak psoas; leg-length difference and heel lifts",
)

ALL_ADVICE: tuple[Advice, ...] = (
    STANDING_BREAKS,
    BELLY_BREATHING,
    BALANCE_FLEXION,
    MASSAGE,
    SEE_A_PROFESSIONAL,
)
"""Every general advice item, each once."""

_ADVICE_BY_PATTERN: dict[Pattern, tuple[Advice, ...]] = {
    "increased": (STANDING_BREAKS, BELLY_BREATHING, BALANCE_FLEXION, MASSAGE, SEE_A_PROFESSIONAL),
    "flattened": (BELLY_BREATHING, STANDING_BREAKS, SEE_A_PROFESSIONAL),
    "neutral": (STANDING_BREAKS, BELLY_BREATHING, BALANCE_FLEXION, SEE_A_PROFESSIONAL),
    "inconclusive": (STANDING_BREAKS, BELLY_BREATHING, SEE_A_PROFESSIONAL),
}

# --- Honesty --------------------------------------------------------------------------

DISCLAIMER = (
    "This is wellness information, not a diagnosis. A photo can only estimate your pelvic "
    "tilt and lower-back curve, and posture alone doesn't explain pain. Stop any exercise "
    "that hurts, and if you are pregnant, recovering from surgery or injury, or have pain "
    "that persists, check with a physiotherapist or doctor first."
)
"""Short note to show next to any advice."""

EVIDENCE_NOTE = (
    "The exercises follow a physiotherapy blog article about the psoas, the hip flexor that "
    "runs from the lower spine to the thigh bone. Research is more cautious: across people, "
    "tight hip flexors predict neither pelvic tilt nor the lower-back curve "
    "well (Youdas 1996; Heino 1990; Naseri 2010), so a tilted pelvis doesn't prove a tight "
    "psoas, nor the reverse. Within one person, though, pelvic tilt and lumbar lordosis "
    "change together, roughly degree for degree (Levine & Whittle 1996), so tracking your "
    "own numbers over time tells you more than comparing them with other people's."
)
"""What the evidence says about the article's premise, for the app's "about" section."""


# --- Look-ups -------------------------------------------------------------------------


def _check_pattern(pattern: object) -> Pattern:
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str, got {type(pattern).__name__}")
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of {', '.join(PATTERNS)}")
    return cast(Pattern, pattern)


def exercises_for(pattern: Pattern) -> tuple[Exercise, ...]:
    """Exercises suggested for a posture pattern, most useful first.

    Args:
        pattern: One of :data:`PATTERNS`.

    Returns:
        The exercises, in order; empty for ``"inconclusive"`` (show photo guidance instead).

    Raises:
        TypeError: If ``pattern`` is not a str.
        ValueError: If ``pattern`` is not a known pattern.
    """
    return _EXERCISES_BY_PATTERN[_check_pattern(pattern)]


def general_advice(pattern: Pattern) -> tuple[Advice, ...]:
    """General advice (breaks, breathing, when to see a professional) for a pattern.

    Args:
        pattern: One of :data:`PATTERNS`; ``"inconclusive"`` still gets the general items.

    Returns:
        The advice items, most relevant first.

    Raises:
        TypeError: If ``pattern`` is not a str.
        ValueError: If ``pattern`` is not a known pattern.
    """
    return _ADVICE_BY_PATTERN[_check_pattern(pattern)]


def get_exercise(key: str) -> Exercise:
    """The exercise with the given key.

    Args:
        key: An :attr:`Exercise.key`, e.g. ``"bridge"``.

    Returns:
        The exercise.

    Raises:
        KeyError: If no exercise has that key; the message lists the known keys.
    """
    try:
        return _EXERCISES_BY_KEY[key]
    except KeyError:
        known = ", ".join(sorted(_EXERCISES_BY_KEY))
        raise KeyError(f"no exercise with key {key!r}; known keys: {known}") from None
