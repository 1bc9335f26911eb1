"""WebRTC settings: the ICE servers the browser and this server use to find each other.

Empty by default, which is all a browser on the same computer needs, and then no STUN or
TURN server is contacted (streamlit-webrtc's default would ask a public STUN server, or a
TURN provider when its credentials are in the environment). To use the app from another
device across a network, give a TURN server, either in ``.streamlit/secrets.toml``::

    [[ice_servers]]
    urls = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    username = "posture"
    credential = "s3cret"

or as JSON in the environment variable ``POSTURE_CAM_ICE_SERVERS`` (it wins over secrets)::

    POSTURE_CAM_ICE_SERVERS='[{"urls": ["turn:turn.example.org:3478"],
                               "username": "posture", "credential": "s3cret"}]'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

__all__ = ["ENV_ICE_SERVERS", "SECRET_ICE_SERVERS", "ice_servers_from_config", "parse_ice_servers"]

ENV_ICE_SERVERS = "POSTURE_CAM_ICE_SERVERS"
SECRET_ICE_SERVERS = "ice_servers"

_ICE_SCHEMES = ("stun", "stuns", "turn", "turns")


def ice_servers_from_config() -> list[dict[str, Any]]:
    """ICE servers from ``$POSTURE_CAM_ICE_SERVERS`` (JSON) or ``st.secrets["ice_servers"]``.

    Empty when neither is set. A malformed setting is shown on the page and ignored (the app
    still works on this computer).
    """
    raw: Any = os.environ.get(ENV_ICE_SERVERS, "").strip() or None
    where = f"${ENV_ICE_SERVERS}"
    if raw is None:
        where = f"secrets.toml [{SECRET_ICE_SERVERS}]"
        try:
            if st.secrets.load_if_toml_exists():
                raw = st.secrets.get(SECRET_ICE_SERVERS)
        except FileNotFoundError:
            raw = None
        if raw is not None and hasattr(raw, "to_dict"):
            raw = raw.to_dict()
        if isinstance(raw, list | tuple):
            raw = [item.to_dict() if hasattr(item, "to_dict") else item for item in raw]
    try:
        return parse_ice_servers(raw)
    except ValueError as exc:
        st.warning(
            f"The ICE server setting in {where} was ignored: {exc}", icon=":material/warning:"
        )
        return []


def parse_ice_servers(raw: Any) -> list[dict[str, Any]]:
    """Check an ICE server list (WebRTC ``RTCIceServer`` entries) and return it cleaned.

    Args:
        raw: None or "" (no servers), JSON text, one mapping, or a sequence of mappings,
            each with ``urls`` (a ``stun:``/``turn:``/``turns:`` URL or a list of them) and,
            for TURN, ``username`` and ``credential``.

    Returns:
        A list of ``{"urls": [...], "username": ..., "credential": ...}`` dicts.

    Raises:
        ValueError: the text is not JSON, or an entry is not of that shape (the message
            names the entry and what is wrong).

    Example (one TURN server reachable over UDP and TLS)::

        [{"urls": ["turn:turn.example.org:3478?transport=udp",
                   "turns:turn.example.org:5349"],
          "username": "posture", "credential": "s3cret"}]
    """
    if raw is None or (isinstance(raw, str | bytes) and not raw.strip()):
        return []
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ICE servers: not valid JSON ({exc})") from exc
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ValueError(f"ICE servers: expected a list of servers, got {type(raw).__name__}")
    servers: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ValueError(
                f"ICE server {i}: expected a table with 'urls', got {type(item).__name__}"
            )
        urls = item.get("urls", item.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, Sequence) or not urls:
            raise ValueError(f"ICE server {i}: 'urls' must be a URL or a non-empty list of URLs")
        for url in urls:
            if not isinstance(url, str) or url.split(":", 1)[0].lower() not in _ICE_SCHEMES:
                raise ValueError(f"ICE server {i}: {url!r} is not a stun:, turn: or turns: URL")
        server: dict[str, Any] = {"urls": list(urls)}
        for key in ("username", "credential"):
            if item.get(key) is not None:
                server[key] = str(item[key])
        if any(u.lower().startswith("turn") for u in server["urls"]) and not (
            "username" in server and "credential" in server
        ):
            raise ValueError(f"ICE server {i}: a TURN server needs 'username' and 'credential'")
        servers.append(server)
    return servers
