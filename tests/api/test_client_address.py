"""Whose address a rate limit counts: the peer, unless a configured proxy names the client."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from fastapi import Request

from tracker_api.client import client_address

PROXIES = [ip_network("10.0.0.0/8"), ip_network("fdaa::/16")]


def request(peer: str, *headers: tuple[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers]
    return Request({"type": "http", "client": (peer, 1234), "headers": raw})


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.9", [("X-Forwarded-For", "198.51.100.1")], "203.0.113.9"),  # not a proxy
        ("10.0.0.2", [("X-Forwarded-For", "198.51.100.1")], "198.51.100.1"),
        # the client's own forged entry sits left of what the proxy appended
        ("10.0.0.2", [("X-Forwarded-For", "6.6.6.6, 198.51.100.1")], "198.51.100.1"),
        ("10.0.0.2", [("X-Forwarded-For", "198.51.100.1, 10.0.0.7")], "198.51.100.1"),
        (
            "10.0.0.2",
            [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.1")],
            "198.51.100.1",
        ),  # fmt: skip
        ("10.0.0.2", [("X-Forwarded-For", "not-an-address")], "10.0.0.2"),
        ("10.0.0.2", [], "10.0.0.2"),
        ("fdaa::3", [("X-Forwarded-For", "2001:db8::1")], "2001:db8::1"),
    ],
)
def test_forwarded_for_is_read_from_the_right_and_only_from_proxies(
    peer: str, headers: list[tuple[str, str]], expected: str
) -> None:
    assert client_address(request(peer, *headers), PROXIES, "X-Forwarded-For") == expected


def test_with_no_proxies_configured_every_header_is_ignored() -> None:
    forged = request("203.0.113.9", ("Fly-Client-IP", "1.1.1.1"), ("X-Forwarded-For", "1.1.1.1"))
    assert client_address(forged, [], "Fly-Client-IP") == "203.0.113.9"
    assert client_address(request("10.0.0.2", ("Fly-Client-IP", "1.1.1.1")), PROXIES,
                          "Fly-Client-IP") == "1.1.1.1"  # fmt: skip
