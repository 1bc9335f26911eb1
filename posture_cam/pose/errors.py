"""What goes wrong while looking for a pose model, as exceptions the model store raises."""

from __future__ import annotations

__all__ = ["InvalidModelError", "ModelUnavailableError", "SourceFailed"]


class ModelUnavailableError(RuntimeError):
    """No usable pose model could be found, downloaded or built.

    The message names every source tried, why each failed, and how to supply a model.
    """


class InvalidModelError(ModelUnavailableError, ValueError):
    """A file is not a valid pose landmarker bundle (the message says what is wrong)."""


class SourceFailed(Exception):
    """One source could not provide the model; the message says why, in a few words.

    The store collects these into the message of :class:`ModelUnavailableError`.
    """
