"""The live webcam check: per-frame processing in small parts."""
