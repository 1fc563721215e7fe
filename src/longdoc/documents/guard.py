"""Which addresses a doc_url may reach: loopback, private, link-local and metadata addresses are
refused (also in the IPv6 forms that carry an IPv4 address) unless an operator allows them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from longdoc.core.errors import FetchRefused

IPAddress = IPv4Address | IPv6Address

# Cloud instance-metadata endpoints; most are link-local or private anyway, but not Azure's.
METADATA_ADDRESSES = frozenset(
    ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "fd00:ec2::254")
)
# IPv6 forms that carry an IPv4 address a router may deliver to: NAT64 and the deprecated
# IPv4-compatible form (IPv4-mapped and 6to4 have their own properties).
_EMBEDDING_V4 = (ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"), ip_network("::/96"))


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _EMBEDDING_V4) and int(address) > 1:  # not :: or ::1
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched without an allowlist entry, or None for a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = refusal(inner)
        return f"{reason} (inside the IPv6 address {address})" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


class AddressGuard:
    """Refuses loopback, private, link-local and metadata addresses unless the operator allows them.

    ``allow`` holds host names (exact, case-insensitive), addresses and CIDR ranges.
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._hosts: set[str] = set()
        self._networks: list[IPv4Network | IPv6Network] = []
        for raw in allow:
            entry = raw.strip().strip("[]")
            if not entry:
                continue
            try:
                self._networks.append(ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry or not re.fullmatch(r"[A-Za-z0-9._-]+", entry):
                    raise ValueError(
                        f"fetch_allow: {raw!r} is neither a host name, an address nor a CIDR range"
                    ) from None
                self._hosts.add(entry.lower().rstrip("."))

    def allows(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self._hosts:
            return True
        candidates = [address] + [a for a in (embedded_ipv4(address),) if a is not None]
        return any(a.version == net.version and a in net for a in candidates for net in self._networks)

    def check(self, url: str, host: str, address: IPAddress) -> None:
        reason = refusal(address)
        if reason and not self.allows(host, address):
            where = f"{address} is" if host.strip("[]") == str(address) else f"{host} resolves to {address},"
            raise FetchRefused(
                f"doc_url {url} is refused: {where} {reason}. "
                "An operator can allow it with LONGDOC_FETCH_ALLOW.",
                param="doc_url",
            )
