"""Our code makes no network connection except to loopback.

The analysis runs under ``strace -f`` and every ``connect`` to an internet address fails
the test. The one documented exception is MediaPipe's own usage-metrics lookup: it asks
the system's DNS resolver for ``play.googleapis.com`` (and nothing else) — we allow a
connect to port 53 only when every DNS question sent is for that name.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posture_cam.models import ModelFile

ALLOWED_DNS_NAMES = {"play.googleapis.com"}
_CONNECT = re.compile(
    r'connect\(\d+, \{sa_family=AF_INET6?, (?:sin6?_port=htons\((?P<port>\d+)\)), '
    r'(?:sin_addr=inet_addr\("(?P<v4>[^"]+)"\)|.*?inet_pton\(AF_INET6, "(?P<v6>[^"]+)")'
)
# A DNS question in strace's escaped payload: length-prefixed labels, e.g. \4play\ngoogleapis\3com
_DNS_QUESTION = re.compile(r'\\\d{1,3}(?:[a-z0-9-]+(?:\\\d{1,3}|\\[nrtvf]))+[a-z0-9-]+\\0')


def _labels(escaped: str) -> str:
    parts = re.split(r"\\(?:\d{1,3}|[nrtvf])", escaped.rstrip("\\0"))
    return ".".join(p for p in parts if p)


def audit(log: str) -> list[str]:
    """Problems found in an ``strace -e trace=connect,sendto,sendmmsg -s 256`` log."""
    problems = []
    asked = {_labels(m.group(0)) for m in _DNS_QUESTION.finditer(log)}
    for m in _CONNECT.finditer(log):
        addr = ipaddress.ip_address(m.group("v4") or m.group("v6"))
        if addr.is_loopback or addr.is_unspecified:
            continue
        if m.group("port") == "53" and asked and asked <= ALLOWED_DNS_NAMES:
            continue
        problems.append(f"connect to {addr}:{m.group('port')} (DNS asked: {sorted(asked)})")
    extra = asked - ALLOWED_DNS_NAMES
    if extra:
        problems.append(f"DNS lookups besides MediaPipe's metrics: {sorted(extra)}")
    return problems


def test_audit_recognises_connections() -> None:
    ok = ('1 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}'
          ', 16) = 0\n1 sendmmsg(8, [{msg_hdr={msg_iov=[{iov_base="\\300#\\1\\0\\0\\1\\0\\0\\0\\0'
          '\\0\\0\\4play\\ngoogleapis\\3com\\0\\0\\1\\0\\1"')
    assert audit(ok) == []
    bad = ('1 connect(3, {sa_family=AF_INET, sin_port=htons(443), '
           'sin_addr=inet_addr("142.250.1.1")}, 16) = -1 ENETUNREACH')
    assert audit(bad) and "142.250.1.1:443" in audit(bad)[0]
    loop = ('1 connect(3, {sa_family=AF_INET, sin_port=htons(8501), '
            'sin_addr=inet_addr("127.0.0.1")}, 16) = 0')
    assert audit(loop) == []
    dns_other = ok.replace("\\4play\\ngoogleapis\\3com", "\\7example\\3org")
    assert audit(dns_other)


def test_cli_analysis_connects_nowhere(
    shared_data: Path, full_model: ModelFile, tmp_path: Path
) -> None:
    strace = shutil.which("strace")
    assert strace, "strace is needed for the network audit (.ci/run installs it)"
    log = tmp_path / "strace.txt"
    subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=connect,sendto,sendmmsg", "-s", "256", "-o", str(log),
         sys.executable, "-m", "posture_cam", "analyze",
         str(shared_data / "synth" / "dev" / "synth_000011000033.jpg"),
         str(shared_data / "real" / "three_people.jpg"), "--json", str(tmp_path / "o.json")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    text = log.read_text(errors="replace")
    assert "connect(" in text or "sendmmsg(" in text or text  # strace really ran
    assert audit(text) == []
    assert (tmp_path / "o.json").exists()


@pytest.mark.parametrize("variant", ["lite"])
def test_model_resolution_with_a_cached_model_stays_offline(
    variant: str, tmp_path: Path, lite_model: ModelFile
) -> None:
    """With the model cached, resolving it makes no connection at all (not even DNS)."""
    strace = shutil.which("strace")
    assert strace
    log = tmp_path / "strace.txt"
    code = f"from posture_cam.models import resolve_model; print(resolve_model({variant!r}).path)"
    proc = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(log), sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert proc.stdout.strip().endswith(f"pose_landmarker_{variant}.task")
    assert "AF_INET" not in log.read_text()
