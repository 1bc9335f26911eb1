"""Saved checks: the SQLite store, the personal baseline and the trend."""
