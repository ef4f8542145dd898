"""Which names the emulator answers to: it has no authentication, so a request whose `Host`
header names neither the address it listens on nor (listening on loopback or on every address)
a loopback name is refused. A web page whose name was rebound to 127.0.0.1 (DNS rebinding)
sends its own name in `Host`, so it cannot reach the emulator from a browser.

Listening on every address (`0.0.0.0`, `::`), an IP literal or this machine's host name is
answered as well; a request without `Host` (HTTP/1.0) is answered, since browsers always send
one.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def bare(host: str) -> str:
    """`host` without brackets, a trailing dot or case: how names are compared."""
    return host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, bracketed or not) is this machine's loopback."""
    name = bare(host)
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """Whether a request's `Host` header names the emulator as it listens on `listening`."""

    def __init__(self, listening: str) -> None:
        self.listening = bare(listening)
        self.wildcard = self.listening in WILDCARDS
        self.names = {self.listening}
        if self.wildcard or not is_loopback(self.listening):
            self.names.add(bare(socket.gethostname()))

    def allows(self, header: str | None) -> bool:
        if header is None:
            return True
        name = _name_of(header)
        if name is None:
            return False
        if name in self.names:
            return True
        if is_loopback(name):  # a loopback name reaches only a loopback or wildcard listener
            return self.wildcard or is_loopback(self.listening)
        return self.wildcard and _is_ip(name)


def _name_of(header: str) -> str | None:
    """The host of a `Host` header (`name`, `name:port`, `[v6]` or `[v6]:port`), or None where
    it is not one."""
    header = header.strip()
    if header.startswith("["):
        name, bracket, port = header[1:].partition("]")
        if not bracket or (port and not (port.startswith(":") and port[1:].isdigit())):
            return None
        return bare(name)
    name, colon, port = header.partition(":")
    if colon and not port.isdigit():
        return None
    return bare(name) or None
