"""posture_cam: side-view posture check (pelvic tilt, lumbar curve) from photos or a webcam.

Nothing is loaded at import time; see :mod:`posture_cam.pipeline` for the entry points.
"""

__version__ = "0.1.0"
