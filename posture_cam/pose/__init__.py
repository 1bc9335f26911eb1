"""Pose detection (the only mediapipe import) and the pose-model store."""
