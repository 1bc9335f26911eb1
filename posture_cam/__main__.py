"""``python -m posture_cam`` runs the command line."""

from .cli import main

raise SystemExit(main())
