"""Pure numpy measurement core: geometry, metrics, gates, classification, calibration,
scene and smoothing. No I/O, no mediapipe."""
