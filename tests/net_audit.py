"""Reading an ``strace`` log for network traffic that leaves this computer.

Used by ``tests/integration/test_network_audit.py`` (the CLI) and
``tests/e2e/test_app_network_audit.py`` (a session of the app). The process under test runs
as ``strace -f -qq -e trace=connect,sendto,sendmsg,sendmmsg -s 256 -o LOG …`` (see
:func:`strace_prefix`) and :func:`audit` lists every destination that is not loopback:

* ``connect`` to an internet address (TCP, or UDP sockets that connect first, as the DNS
  resolver does);
* ``sendto``/``sendmsg``/``sendmmsg`` with an explicit destination (UDP without connect).

Documented exceptions:

* MediaPipe's usage-metrics lookup: it asks the system's DNS resolver for
  ``play.googleapis.com`` (and nothing else). A connect to port 53 is allowed only when
  every DNS question sent is for that name.
* ``local_addresses``: addresses of this computer's own interfaces, when the caller passes
  them (:func:`host_addresses`). The live view's WebRTC media between the browser and the
  server on one computer goes to those: aiortc's ICE (aioice) and Chromium both leave
  loopback out of their candidates, so the pair they agree on is e.g. eth0's address. The
  kernel delivers that traffic locally; it never leaves the machine.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Collection
from pathlib import Path

ALLOWED_DNS_NAMES = {"play.googleapis.com"}
TRACED_CALLS = "connect,sendto,sendmsg,sendmmsg"

_ADDR = (
    r"\{sa_family=AF_INET6?, (?:sin6?_port=htons\((?P<port>\d+)\)), "
    r'(?:sin_addr=inet_addr\("(?P<v4>[^"]+)"\)|.*?inet_pton\(AF_INET6, "(?P<v6>[^"]+)")'
)
_CONNECT = re.compile(r"connect\(\d+, " + _ADDR)
# A destination after the payload of a send call (one strace line; payloads are escaped).
_SEND = re.compile(r"\b(?P<call>sendto|sendmsg|sendmmsg)\(\d+, [^\n]*?" + _ADDR)
# A DNS question in strace's escaped payload: length-prefixed labels, e.g. \4play\ngoogleapis\3com
_DNS_QUESTION = re.compile(r"\\\d{1,3}(?:[a-z0-9-]+(?:\\\d{1,3}|\\[nrtvf]))+[a-z0-9-]+\\0")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def strace_prefix(log: Path) -> list[str]:
    """The command prefix that writes the log :func:`audit` reads.

    ``--seccomp-bpf`` stops the traced process only on the traced calls, so a busy server
    (the live video) is not slowed down by every other system call.
    """
    strace = shutil.which("strace")
    if not strace:
        raise FileNotFoundError("strace is needed for the network audit (.ci/run installs it)")
    return [
        strace,
        "-f",
        "-qq",
        "--seccomp-bpf",
        "-e",
        f"trace={TRACED_CALLS}",
        "-s",
        "256",
        "-o",
        str(log),
    ]


def _labels(escaped: str) -> str:
    parts = re.split(r"\\(?:\d{1,3}|[nrtvf])", escaped.rstrip("\\0"))
    return ".".join(p for p in parts if p)


def _address(m: re.Match[str]) -> Address:
    addr = ipaddress.ip_address(m.group("v4") or m.group("v6"))
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def host_addresses() -> set[Address]:
    """This computer's own interface addresses (IPv4 from the kernel's routing tables)."""
    found: set[Address] = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        lines = []
    for prev, line in zip(lines, lines[1:], strict=False):
        m = re.search(r"\|-- (\d+\.\d+\.\d+\.\d+)", prev)
        if m and "/32 host LOCAL" in line:
            found.add(ipaddress.IPv4Address(m.group(1)))
    try:
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            raw = line.split()[0]
            found.add(ipaddress.IPv6Address(":".join(raw[i : i + 4] for i in range(0, 32, 4))))
    except (OSError, IndexError, ValueError):
        pass
    return found


_CALL = re.compile(
    r"^(?:\[pid\s+)?\d*\]?\s*(?P<call>connect|sendto|sendmsg|sendmmsg)\((?P<fd>\d+), "
)


def dns_questions(log: str) -> set[str]:
    """Names asked in DNS queries: payloads sent on sockets connected to port 53, or to it."""
    dns_fds: set[str] = set()
    asked: set[str] = set()
    for line in log.splitlines():
        call = _CALL.search(line)
        if call is None:
            continue
        fd = call.group("fd")
        if call.group("call") == "connect":
            m = _CONNECT.search(line)
            if m is not None and m.group("port") == "53":
                dns_fds.add(fd)
            else:
                dns_fds.discard(fd)
            continue
        to = _SEND.search(line)
        if fd in dns_fds or (to is not None and to.group("port") == "53"):
            asked |= {_labels(m.group(0)) for m in _DNS_QUESTION.finditer(line)}
    return asked


def audit(log: str, *, local_addresses: Collection[Address] = ()) -> list[str]:
    """Problems found in an ``strace -e trace=connect,sendto,sendmsg,sendmmsg -s 256`` log.

    Args:
        log: the log's text.
        local_addresses: non-loopback addresses that count as this computer
            (:func:`host_addresses`); by default none does.
    """
    problems: list[str] = []
    asked = dns_questions(log)
    local = set(local_addresses)
    seen: set[str] = set()
    found = [("connect", m) for m in _CONNECT.finditer(log)]
    found += [(m.group("call"), m) for m in _SEND.finditer(log)]
    for call, m in found:
        addr = _address(m)
        if addr.is_loopback or addr.is_unspecified or addr in local:
            continue
        if m.group("port") == "53" and asked and asked <= ALLOWED_DNS_NAMES:
            continue
        text = f"{call} to {addr}:{m.group('port')} (DNS asked: {sorted(asked)})"
        if text not in seen:
            seen.add(text)
            problems.append(text)
    extra = asked - ALLOWED_DNS_NAMES
    if extra:
        problems.append(f"DNS lookups besides MediaPipe's metrics: {sorted(extra)}")
    return problems


def destinations(log: str) -> dict[str, int]:
    """Every non-loopback destination in the log and how many calls went there."""
    counts: dict[str, int] = {}
    for regex in (_CONNECT, _SEND):
        for m in regex.finditer(log):
            addr = _address(m)
            if not (addr.is_loopback or addr.is_unspecified):
                key = f"{addr}:{m.group('port')}"
                counts[key] = counts.get(key, 0) + 1
    return counts
