"""Hostnames as the extension reports them: lowercased, bare, without a port."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

MAX_HOST_CHARS = 253
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


@lru_cache(maxsize=4096)  # a browser visits few hosts; a batch repeats them
def normalize_host(raw: str) -> str | None:
    """The bare hostname in `raw`, lowercased and without a port; None if it is not one.

    A scheme, path, query, user info or whitespace makes it not a hostname. IPv6 comes
    in brackets (`[::1]:8080`); Unicode names are turned into their punycode form.
    """
    host = raw.strip().lower()
    if not host or any(c in host for c in "/?#@\\ \t\r\n"):
        return None
    if host.startswith("["):
        return _bracketed_ipv6(host)
    name, colon, port = host.partition(":")
    if colon and not (port.isdigit() and int(port) <= 65535):
        return None
    name = name.removesuffix(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(name) > MAX_HOST_CHARS:
        return None
    if all(_LABEL.fullmatch(label) for label in name.split(".")):
        return name
    return None


def _bracketed_ipv6(host: str) -> str | None:
    inside, bracket, rest = host[1:].partition("]")
    if not bracket or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
        return None
    try:
        return f"[{ipaddress.IPv6Address(inside).compressed}]"
    except ValueError:
        return None
