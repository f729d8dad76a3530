"""Tests never leave the machine: a connection to, or a name lookup of, any host that is not this
machine is refused and remembered, and the test that tried fails (tests/conftest.py).

The registers, ID-porten and webhook receivers all have local stand-ins in the tests (real HTTP
servers on 127.0.0.1: pytest-httpserver's `httpserver`, tests/oidc_server.py). A test that reaches
past them would depend on the network and on the outside services' answers, and would send
test data out; the code under test usually catches the error and only logs it, so the refusal is
remembered here and reported when the test ends.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

_attempts: list[str] = []
_lock = threading.Lock()
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class LeftTheMachine(ConnectionRefusedError):
    """Raised instead of reaching a host that is not this machine."""


def _is_local_address(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and other local families
    host = str(address[0]).split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return _is_local_name(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _is_local_name(host: object) -> bool:
    if host is None or host in ("", b""):
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True  # an address literal needs no lookup; connecting to it is checked on its own


def _refuse(what: str) -> LeftTheMachine:
    with _lock:
        _attempts.append(what)
    return LeftTheMachine(
        f"tests must not leave the machine: {what} refused (tests/offline.py); "
        "point the client at a local stand-in"
    )


def _connect(self: socket.socket, address: Any, /) -> None:
    if not _is_local_address(address):
        raise _refuse(f"connect to {address!r}")
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any, /) -> int:
    if not _is_local_address(address):
        raise _refuse(f"connect to {address!r}")
    return _real_connect_ex(self, address)


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local_name(host):
        raise _refuse(f"name lookup of {host!r}")
    return _real_getaddrinfo(host, port, *args, **kwargs)


def install() -> None:
    """Refuse outside hosts in this process from now on (every thread)."""
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _getaddrinfo


def take_attempts() -> list[str]:
    """What was refused since the last call, oldest first (and forget it)."""
    with _lock:
        taken = list(dict.fromkeys(_attempts))
        _attempts.clear()
    return taken
