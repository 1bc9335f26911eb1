"""The article's self-check list: signs it links to a tight or a weak psoas (never a verdict).

The physiotherapy article this app follows lists signs of a psoas that is **too tight**
(pain in the low back, buttocks, hips or knees; inner-thigh cramping during activity;
less flexibility; an apparent leg-length difference) and one that is **too weak or
overstretched** (instability in the low back and hips; the same pains). Posture is on
both lists too, but the camera checks that. A person ticks what applies; the ticks are
kept with the session and shown beside the camera's results as notes.

Pain in the back, buttocks, hips or knees is on both lists and has many causes, so the
summary never turns ticks into a pattern call or a diagnosis.

Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Leaning",
    "ChecklistItem",
    "CHECKLIST_ITEMS",
    "CHECKLIST_SOURCE",
    "Checklist",
]

Leaning = Literal["tight", "weak", "both"]

CHECKLIST_SOURCE = (
    "Signs listed in the physiotherapy article about the psoas this app follows; "
    "they are common and have many causes."
)


@dataclass(frozen=True)
class ChecklistItem:
    """One sign: a stable ``key``, a question-like ``text`` and the list(s) it is on."""

    key: str
    text: str
    on: Leaning


CHECKLIST_ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem("pain_low_back", "Pain in the lower back", "both"),
    ChecklistItem("pain_buttocks", "Pain in the buttocks", "both"),
    ChecklistItem("pain_hips", "Pain in the hips", "both"),
    ChecklistItem("pain_knees", "Pain in the knees", "both"),
    ChecklistItem("inner_thigh_cramps", "Cramps in the inner thighs during activity", "tight"),
    ChecklistItem("less_flexible", "Feeling less flexible than you would like", "tight"),
    ChecklistItem("leg_length", "Having been told one leg seems longer than the other", "tight"),
    ChecklistItem("instability", "The lower back or hips feeling unstable or giving way", "weak"),
)
"""Every sign, in the order shown."""

_BY_KEY = {item.key: item for item in CHECKLIST_ITEMS}


@dataclass(frozen=True)
class Checklist:
    """The signs a person ticked (keys of :data:`CHECKLIST_ITEMS`)."""

    ticked: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.ticked) - set(_BY_KEY)
        if unknown:
            raise ValueError(f"unknown checklist keys: {', '.join(sorted(unknown))}")

    @classmethod
    def from_keys(cls, keys: Iterable[str]) -> Checklist:
        return cls(frozenset(keys))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Checklist:
        """Read :meth:`to_record`'s shape back (unknown keys are an error)."""
        return cls(frozenset(str(k) for k in record.get("ticked", ())))

    def items(self, on: Leaning) -> tuple[ChecklistItem, ...]:
        """Ticked signs that are on the ``on`` list ("tight" or "weak" include "both")."""
        return tuple(
            item
            for item in CHECKLIST_ITEMS
            if item.key in self.ticked and (item.on == on or item.on == "both" or on == "both")
        )

    def summary(self) -> str:
        """One or two plain sentences for the report; no pattern call, no diagnosis."""
        if not self.ticked:
            return "You ticked none of the signs the article lists."
        n_tight = len(self.items("tight"))
        n_weak = len(self.items("weak"))
        total_tight = sum(1 for i in CHECKLIST_ITEMS if i.on in ("tight", "both"))
        total_weak = sum(1 for i in CHECKLIST_ITEMS if i.on in ("weak", "both"))
        text = (
            f"You ticked {n_tight} of the {total_tight} signs the article lists for a tight "
            f"psoas and {n_weak} of the {total_weak} it lists for a weak or overstretched one."
        )
        if any(_BY_KEY[k].on == "both" for k in self.ticked):
            text += (
                " Pain in the back, buttocks, hips or knees is on both lists and has many causes."
            )
        return (
            text + " These are notes kept with your results, not a diagnosis; if pain "
            "persists, see a physiotherapist or doctor."
        )

    def to_record(self) -> dict[str, Any]:
        """Plain data for the session record, the PDF and the history."""
        return {
            "ticked": sorted(self.ticked),
            "items": [
                {"key": i.key, "text": i.text, "on": i.on, "ticked": i.key in self.ticked}
                for i in CHECKLIST_ITEMS
            ],
            "summary": self.summary(),
            "source": CHECKLIST_SOURCE,
        }
