"""``python -m posture_cam`` runs the command line."""

from posture_cam.cli.main import main

raise SystemExit(main())
