"""The real client address, for per-address rate limits.

uvicorn's own proxy support is off: it would believe `X-Forwarded-For` from anyone who
sends it, and every spoofed address would get a fresh limit. The header named by
`QTIME_API__CLIENT_IP_HEADER` is believed only when the connection comes from one of
`QTIME_API__TRUSTED_PROXIES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import Request

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(request: Request, proxies: Sequence[Network], header: str) -> str:
    """The peer, or what a trusted proxy says the client is.

    A list header (`X-Forwarded-For: client, proxy1, proxy2`) is read from the right: the
    last address no trusted proxy added is the client; everything left of it is hearsay.
    """
    peer = request.client.host if request.client else UNKNOWN
    if not proxies or not _trusted(peer, proxies):
        return peer
    values = request.headers.getlist(header)
    hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _valid(hop) else peer
    return hops[0] if hops and _valid(hops[0]) else peer


def _valid(address: str) -> bool:
    try:
        ip_address(address)
    except ValueError:
        return False
    return True
