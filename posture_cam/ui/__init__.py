"""Streamlit-only helpers for the app: pages, reusable components and session state.

Nothing here runs at import time beyond defining functions: no model loading, no network.
"""
