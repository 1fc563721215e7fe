"""The SSRF guard: which addresses a doc_url may reach, and how an operator allows more."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from longdoc.core.errors import FetchRefused
from longdoc.documents.guard import AddressGuard, embedded_ipv4, refusal


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.20", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("100.100.100.200", "a cloud metadata address"),  # Alibaba Cloud's metadata service
        ("168.63.129.16", "a cloud metadata address"),  # Azure's, a public address otherwise
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("fc00::5", "a private address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("::", "an unspecified address"),
    ],
)
def test_internal_addresses_are_refused(address: str, reason: str) -> None:
    assert refusal(ip_address(address)) == reason


@pytest.mark.parametrize(
    ("address", "inner", "reason"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("::ffff:10.0.0.7", "10.0.0.7", "a private address"),
        ("::ffff:169.254.169.254", "169.254.169.254", "a cloud metadata address"),
        ("64:ff9b::a00:1", "10.0.0.1", "a private address"),  # NAT64
        ("2002:7f00:1::", "127.0.0.1", "a loopback address"),  # 6to4
        ("::127.0.0.1", "127.0.0.1", "a loopback address"),  # IPv4-compatible (deprecated)
    ],
)
def test_ipv6_forms_of_internal_ipv4_addresses_are_refused(address: str, inner: str, reason: str) -> None:
    assert embedded_ipv4(ip_address(address)) == ip_address(inner)
    assert (refusal(ip_address(address)) or "").startswith(reason)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ip_address(address)) is None


def test_refusal_names_the_url_the_host_and_the_reason() -> None:
    guard = AddressGuard()
    with pytest.raises(FetchRefused) as caught:
        guard.check("http://intranet.example/a.docx", "intranet.example", ip_address("10.0.0.8"))
    message = caught.value.message
    assert "http://intranet.example/a.docx" in message
    assert "intranet.example resolves to 10.0.0.8" in message
    assert "a private address" in message
    assert "LONGDOC_FETCH_ALLOW" in message
    assert caught.value.status == 400 and caught.value.dashscope_code == "InvalidParameter"


def test_allow_by_host_name_address_and_range() -> None:
    guard = AddressGuard(["Docs.Internal", "127.0.0.1", "10.20.0.0/16", "[fd12::1]"])
    assert guard.allows("docs.internal", ip_address("192.168.5.5"))
    assert guard.allows("docs.internal.", ip_address("192.168.5.5"))
    assert guard.allows("anything", ip_address("127.0.0.1"))
    assert not guard.allows("anything", ip_address("127.0.0.2"))
    assert guard.allows("x", ip_address("10.20.3.4"))
    assert not guard.allows("x", ip_address("10.21.3.4"))
    assert guard.allows("x", ip_address("fd12::1"))
    # an IPv4 entry covers the address's IPv4-mapped IPv6 form too
    assert guard.allows("x", ip_address("::ffff:10.20.9.9"))
    guard.check("http://x/", "x", ip_address("10.20.3.4"))  # no error
    with pytest.raises(FetchRefused):
        guard.check("http://x/", "x", ip_address("10.21.3.4"))


def test_public_addresses_need_no_allowlist() -> None:
    AddressGuard().check("https://example.com/a.pdf", "example.com", ip_address("93.184.215.14"))


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://x/"])
def test_a_malformed_allowlist_entry_fails_at_start(entry: str) -> None:
    with pytest.raises(ValueError, match="fetch_allow"):
        AddressGuard([entry])
