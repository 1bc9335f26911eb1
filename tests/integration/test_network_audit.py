"""Our code makes no network connection except to loopback.

The analysis runs under ``strace -f`` and every ``connect`` (or ``sendto``/``sendmsg`` with a
destination) to an internet address fails the test. The one documented exception is
MediaPipe's own usage-metrics lookup: it asks the system's DNS resolver for
``play.googleapis.com`` (and nothing else) — we allow a connect to port 53 only when every
DNS question sent is for that name. The log reader is ``tests/net_audit.py``; the app's
session is audited in ``tests/e2e/test_app_network_audit.py``.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posture_cam.pose.models import ModelFile
from tests.net_audit import audit, strace_prefix


def test_audit_recognises_connections() -> None:
    ok = (
        '1 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}'
        ', 16) = 0\n1 sendmmsg(8, [{msg_hdr={msg_iov=[{iov_base="\\300#\\1\\0\\0\\1\\0\\0\\0\\0'
        '\\0\\0\\4play\\ngoogleapis\\3com\\0\\0\\1\\0\\1"'
    )
    assert audit(ok) == []
    bad = (
        "1 connect(3, {sa_family=AF_INET, sin_port=htons(443), "
        'sin_addr=inet_addr("142.250.1.1")}, 16) = -1 ENETUNREACH'
    )
    assert audit(bad) and "142.250.1.1:443" in audit(bad)[0]
    loop = (
        "1 connect(3, {sa_family=AF_INET, sin_port=htons(8501), "
        'sin_addr=inet_addr("127.0.0.1")}, 16) = 0'
    )
    assert audit(loop) == []
    dns_other = ok.replace("\\4play\\ngoogleapis\\3com", "\\7example\\3org")
    assert audit(dns_other)


def test_audit_recognises_datagrams_and_local_addresses() -> None:
    """UDP sends with a destination count; this computer's own addresses can be allowed."""
    udp = (
        '9446  sendto(19, "\\220`y\\244M\\4play\\3com\\0", 88, 0, {sa_family=AF_INET6, '
        'sin6_port=htons(36284), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "fd00::2", '
        "&sin6_addr), sin6_scope_id=0}, 28) = 88\n"
        '9446  sendto(18, "\\0\\1", 64, 0, {sa_family=AF_INET, sin_port=htons(55235), '
        'sin_addr=inet_addr("192.0.2.2")}, 16) = 64\n'
        '9446  sendto(9, "HTTP/1.1 200 OK\\r\\n"..., 295, 0, NULL, 0) = 295'
    )
    problems = audit(udp)
    assert len(problems) == 2, problems
    assert "sendto to fd00::2:36284" in problems[0]
    # Bytes that look like DNS labels in media payloads are not DNS questions.
    assert "DNS lookups" not in " ".join(problems)
    own = {ipaddress.ip_address("fd00::2"), ipaddress.ip_address("192.0.2.2")}
    assert audit(udp, local_addresses=own) == []
    mapped = (
        "1 sendmsg(7, {msg_name={sa_family=AF_INET6, sin6_port=htons(5353), "
        'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:224.0.0.251", &sin6_addr)'
    )
    assert "224.0.0.251:5353" in audit(mapped, local_addresses=own)[0]


def test_cli_analysis_connects_nowhere(
    test_data: Path, full_model: ModelFile, tmp_path: Path
) -> None:
    log = tmp_path / "strace.txt"
    subprocess.run(
        [
            *strace_prefix(log),
            sys.executable,
            "-m",
            "posture_cam",
            "analyze",
            str(test_data / "synth" / "synth_000011000033.jpg"),
            str(test_data / "real" / "three_people.jpg"),
            "--json",
            str(tmp_path / "o.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
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
    code = (
        f"from posture_cam.pose.models import resolve_model; print(resolve_model({variant!r}).path)"
    )
    proc = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(log), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert proc.stdout.strip().endswith(f"pose_landmarker_{variant}.task")
    assert "AF_INET" not in log.read_text()
