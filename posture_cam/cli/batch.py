"""Analysing many photos: in this process, or in it and worker processes, one landmarker each.

MediaPipe runs one photo at a time per landmarker, so a folder goes faster when each core has
a process and a landmarker of its own. The results come back in the order of the input, the
same numbers whichever way they were computed (IMAGE mode keeps nothing between photos).
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

    from posture_cam.pose.detect import PoseDetector
    from posture_cam.report.record import ResultRecord

__all__ = ["MIN_FILES_PER_WORKER", "BatchJob", "analyze_files", "default_workers"]

OVERLAY_JPEG_QUALITY = 90

MIN_FILES_PER_WORKER = 4
"""A worker process is started only for this many photos or more: starting one (Python,
MediaPipe and its model) takes about as long as analysing a few photos (bench/batch.py)."""


def default_workers() -> int:
    """The number of cores this process may use."""
    from posture_cam.pose.detect import usable_cores

    return max(1, usable_cores())


@dataclass(frozen=True)
class BatchJob:
    """What every worker needs to analyse a photo.

    Attributes:
        model_path: the pose landmarker bundle.
        variant: its variant ("lite", "full", "heavy") when known.
        overlay_dir: where annotated pictures go (``NNNN_<stem>_overlay.jpg``), or None.
        quiet: hide what MediaPipe's native code writes to stderr.
    """

    model_path: str
    variant: str | None
    overlay_dir: Path | None = None
    quiet: bool = True


def analyze_files(
    files: Sequence[tuple[Path, str]],
    job: BatchJob,
    *,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> list[ResultRecord]:
    """The record of each file, in the order given, and its overlay written if asked.

    Args:
        files: the pictures, each with the name its record and messages give it.
        job: the model and where overlays go.
        workers: how many cores to use: this process and ``workers - 1`` worker processes,
            each with its own landmarker; fewer are used for fewer than
            :data:`MIN_FILES_PER_WORKER` files each, and with one the files are analysed in
            this process alone (a photo's two detections, as taken and mirrored, side by
            side when more than one core was allowed).
        on_done: called with each file's index, in order, once its result is in (a
            progress line).
    """
    n = max(1, min(workers, len(files) // MIN_FILES_PER_WORKER))
    with _quiet(job.quiet):
        detector = _detector(job, pair_in_parallel=n == 1 and workers > 1)
    try:
        if n == 1:
            records = []
            for k, (path, name) in enumerate(files):
                records.append(_analyze_one(k, path, name, detector, job))
                if on_done is not None:
                    on_done(k)
            return records
        return _with_pool(files, job, n, detector, on_done)
    finally:
        with _quiet(job.quiet):
            detector.close()


def _with_pool(
    files: Sequence[tuple[Path, str]],
    job: BatchJob,
    n: int,
    detector: PoseDetector,
    on_done: Callable[[int], None] | None,
) -> list[ResultRecord]:
    """This process and ``n - 1`` worker processes, each taking the next file when free.

    A worker process needs ~2 s to start (Python, MediaPipe, the model's first run), so this
    process does not wait for them: it analyses files itself meanwhile and all along, from
    the first file on (so the progress line moves from the start), while the workers take
    files from the last one back, their queue kept two files deep per worker so that none
    waits for this process.
    """
    # "spawn": a fresh interpreter per worker, not a fork of one whose libraries may hold
    # threads or locks (OpenCV's, MediaPipe's).
    context = multiprocessing.get_context("spawn")
    todo = collections.deque(range(len(files)))
    done: dict[int, ResultRecord] = {}
    pending: dict[int, AsyncResult[ResultRecord]] = {}
    reported = 0
    with context.Pool(n - 1, initializer=_start_worker, initargs=(job,)) as pool:
        while reported < len(files):
            while todo and len(pending) < 4 * (n - 1):
                k = todo.pop()
                pending[k] = pool.apply_async(_work, ((k, files[k]),))
            for k in [k for k, r in pending.items() if r.ready()]:
                done[k] = pending.pop(k).get()
            if todo:
                k = todo.popleft()
                path, name = files[k]
                done[k] = _analyze_one(k, path, name, detector, job)
            elif reported not in done:
                done[reported] = pending.pop(reported).get()
            while reported in done:
                if on_done is not None:
                    on_done(reported)
                reported += 1
    return [done[k] for k in range(len(files))]


def _analyze_one(
    k: int, path: Path, name: str, detector: PoseDetector, job: BatchJob
) -> ResultRecord:
    from posture_cam.media.encode import encode_jpeg
    from posture_cam.pipeline import analyze_file, draw_analysis
    from posture_cam.report.record import photo_record

    with _quiet(job.quiet):
        analysis = analyze_file(path, detector, name=name)
    record = photo_record(analysis, job.variant)
    if job.overlay_dir is not None:
        drawn = draw_analysis(analysis)
        if drawn is not None:
            target = job.overlay_dir / f"{k:04d}_{path.stem}_overlay.jpg"
            target.write_bytes(encode_jpeg(drawn, quality=OVERLAY_JPEG_QUALITY))
    return record


def _detector(job: BatchJob, *, pair_in_parallel: bool) -> PoseDetector:
    from posture_cam.pose.detect import DetectorOptions, PoseDetector

    return PoseDetector(
        DetectorOptions(
            model_path=job.model_path,
            mode="image",
            variant=job.variant,
            pair_in_parallel=pair_in_parallel,
        )
    )


# One landmarker per worker process, made when the process starts.
_WORKER: tuple[PoseDetector, BatchJob] | None = None


def _start_worker(job: BatchJob) -> None:
    global _WORKER
    if job.quiet:
        _silence_native_stderr()
    _WORKER = (_detector(job, pair_in_parallel=False), job)  # one core per worker


def _work(item: tuple[int, tuple[Path, str]]) -> ResultRecord:
    assert _WORKER is not None, "worker not started"
    detector, job = _WORKER
    k, (path, name) = item
    return _analyze_one(k, path, name, detector, job)


def _silence_native_stderr() -> None:
    """A worker prints nothing of its own (its errors reach the parent), so its file
    descriptor 2 goes to /dev/null for good: MediaPipe's native log lines with it."""
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)


def _quiet(enabled: bool) -> contextlib.AbstractContextManager[None]:
    """MediaPipe's native log lines hidden meanwhile (see ``_native_stderr_silenced``)."""
    from .main import _native_stderr_silenced

    return _native_stderr_silenced() if enabled else contextlib.nullcontext()
