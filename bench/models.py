"""Pose models for the benchmarks, obtained through the model store as the app obtains them.

A fresh machine has no model cached: :func:`obtain_model` looks in the cache, then downloads
Google's bundle or builds it offline (``posture_cam.pose.models.resolve_model``), printing what
it does; when no source can give the model it prints why and returns None, and the bench skips
that variant instead of stopping.
"""

from __future__ import annotations

from posture_cam.pose.models import ModelFile, ModelUnavailableError, resolve_model

__all__ = ["obtain_model"]


def obtain_model(variant: str) -> ModelFile | None:
    """The ``variant`` model from the cache or obtained now; None (reason printed) if none."""
    try:
        return resolve_model(
            variant, progress=lambda m: print(f"  [{variant} model] {m}", flush=True)
        )
    except ModelUnavailableError as err:
        reason = str(err).strip().splitlines()[0]
        print(f"  {variant}: skipped, the model could not be obtained ({reason})", flush=True)
        return None
