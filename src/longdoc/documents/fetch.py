"""Fetching a ``doc_url`` without letting it reach inside the network (SSRF).

The host is resolved here, every address it resolves to is checked, and the connection goes to a
checked address (the URL's host is kept for ``Host`` and TLS), so a DNS answer cannot change
between the check and the connection. Redirects are followed by hand and each target is checked
the same way. The body streams into a temp file with a size cap; nothing here trusts the
server's content type beyond naming a text file.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

import longdoc
from longdoc.config import FetchSettings
from longdoc.core.errors import FetchFailed, FetchRefused, TooLarge
from longdoc.parsing.sniff import EXTENSIONS
from longdoc.storage.blobs import BlobStore, StagedBlob

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud instance-metadata endpoints; most are link-local or private anyway, but not Azure's.
METADATA_ADDRESSES = frozenset(
    ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "fd00:ec2::254")
)
# IPv6 forms that carry an IPv4 address a router may deliver to: NAT64 and the deprecated
# IPv4-compatible form (IPv4-mapped and 6to4 have their own properties).
_EMBEDDING_V4 = (ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"), ip_network("::/96"))
REDIRECTS = {301, 302, 303, 307, 308}
_TEXT_TYPES = {"text/plain": ".txt", "text/markdown": ".md", "text/csv": ".csv", "application/json": ".json"}


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    staged: StagedBlob | None  # None when the server said the cached copy is current (304)
    filename: str
    validators: Validators
    fresh_until: float

    @property
    def not_modified(self) -> bool:
        return self.staged is None


class UrlFetcher:
    def __init__(
        self,
        guard: AddressGuard,
        settings: FetchSettings,
        blobs: BlobStore,
        *,
        max_bytes: int,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._guard = guard
        self._settings = settings
        self._blobs = blobs
        self._max_bytes = max_bytes
        self._resolve = resolver
        self._timeout = httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds)
        self._tls = tls_context(settings)

    def fetch(self, url: str, validators: Validators | None = None) -> Fetched:
        """The bytes at ``url`` staged in a temp file (the caller publishes or discards them), or a
        304 answer to ``validators``. Errors name the URL: FetchRefused, FetchFailed, TooLarge."""
        deadline = time.monotonic() + self._settings.total_seconds
        headers = {"User-Agent": f"longdoc/{longdoc.__version__} (doc_url)", "Accept": "*/*"}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        current = url
        # no proxies from the environment: they would connect on our behalf, unchecked
        with httpx.Client(
            trust_env=False, follow_redirects=False, timeout=self._timeout, verify=self._tls
        ) as client:
            for _ in range(self._settings.max_redirects + 1):
                with contextlib.closing(self._send(client, url, current, headers)) as response:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        current = urljoin(current, location)
                        continue
                    if response.status_code == 304 and validators is not None:
                        return Fetched(
                            url, current, None, "", validators, _fresh_until(response, self._settings)
                        )
                    if not 200 <= response.status_code < 300 or response.status_code in (204, 206):
                        reason = response.reason_phrase or "error"
                        raise FetchFailed(
                            f"Failed to fetch doc_url {url}: the server answered {response.status_code} {reason}",
                            param="doc_url",
                        )
                    staged = self._download(url, response, deadline)
                    return Fetched(
                        url,
                        current,
                        staged,
                        _filename(current, response),
                        Validators(response.headers.get("etag"), response.headers.get("last-modified")),
                        _fresh_until(response, self._settings),
                    )
        raise FetchFailed(
            f"Failed to fetch doc_url {url}: more than {self._settings.max_redirects} redirects",
            param="doc_url",
        )

    def _send(self, client: httpx.Client, url: str, current: str, headers: dict[str, str]) -> httpx.Response:
        """The response to GET ``current`` (streaming: the caller closes it), sent to a checked address."""
        parts = urlsplit(current)
        scheme, host = parts.scheme.lower(), parts.hostname
        if scheme not in ("http", "https"):
            hop = "" if current == url else f" (redirected to {current})"
            raise FetchFailed(
                f"doc_url {url}{hop} is refused: only http and https URLs can be fetched", param="doc_url"
            )
        if not host:
            raise FetchFailed(f"doc_url {url} has no host", param="doc_url")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchFailed(f"doc_url {url} has an invalid port", param="doc_url") from None
        addresses = self._addresses(url, host, port)
        target = httpx.URL(current)
        host_header = parts.netloc.rpartition("@")[2]  # never forward credentials in the URL
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        last_error: Exception | None = None
        for address in addresses:
            request = client.build_request(
                "GET",
                target.copy_with(host=str(address), username=None, password=None),
                headers={**headers, "Host": host_header},
                extensions=extensions,
            )
            try:
                return client.send(request, stream=True)
            except httpx.ConnectError as exc:  # try the host's next address
                last_error = exc
            except httpx.TimeoutException as exc:
                raise FetchFailed(
                    f"Failed to fetch doc_url {url}: {_timeout_reason(exc)}", param="doc_url"
                ) from exc
            except httpx.HTTPError as exc:
                raise FetchFailed(f"Failed to fetch doc_url {url}: {exc}", param="doc_url") from exc
        raise FetchFailed(f"Failed to fetch doc_url {url}: could not connect ({last_error})", param="doc_url")

    def _addresses(self, url: str, host: str, port: int) -> list[IPAddress]:
        try:
            literal: IPAddress | None = ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
            except (OSError, UnicodeError) as exc:
                raise FetchFailed(
                    f"Failed to fetch doc_url {url}: the host name {host} could not be resolved",
                    param="doc_url",
                ) from exc
        if not found:
            raise FetchFailed(f"Failed to fetch doc_url {url}: {host} has no address", param="doc_url")
        for address in found:  # every address, so that no answer of a round-robin host slips through
            self._guard.check(url, host, address)
        return found

    def _download(self, url: str, response: httpx.Response, deadline: float) -> StagedBlob:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise TooLarge(
                f"doc_url {url} is {int(declared):,} bytes, over the limit of {self._max_bytes:,}",
                param="doc_url",
            )
        writer = self._blobs.writer(max_bytes=self._max_bytes)
        try:
            for chunk in response.iter_bytes():
                writer.write(chunk)
                if time.monotonic() > deadline:
                    raise FetchFailed(
                        f"Failed to fetch doc_url {url}: the download took longer than "
                        f"{self._settings.total_seconds:g} s",
                        param="doc_url",
                    )
        except TooLarge:
            raise TooLarge(
                f"doc_url {url} is larger than the limit of {self._max_bytes:,} bytes", param="doc_url"
            ) from None
        except httpx.TimeoutException as exc:
            writer.abort()
            raise FetchFailed(
                f"Failed to fetch doc_url {url}: {_timeout_reason(exc)}", param="doc_url"
            ) from exc
        except httpx.HTTPError as exc:
            writer.abort()
            raise FetchFailed(
                f"Failed to fetch doc_url {url}: the download broke off ({exc})", param="doc_url"
            ) from exc
        except BaseException:
            writer.abort()
            raise
        return writer.close()


def tls_context(settings: FetchSettings) -> ssl.SSLContext:
    """certifi's roots (as httpx uses by default), plus the operator's CA file if any."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def _timeout_reason(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "the server stopped sending"
    return "the request timed out"


def _filename(url: str, response: httpx.Response) -> str:
    """The name the server gives the file, else the URL's last path segment; a text type without a
    known extension gets one, so that e.g. Markdown is read as Markdown."""
    disposition = response.headers.get("content-disposition", "")
    name = ""
    if match := re.search(r"filename\*\s*=\s*[^']*'[^']*'([^;]+)", disposition):
        name = unquote(match.group(1).strip())
    elif match := re.search(r'filename\s*=\s*"?([^";]+)"?', disposition):
        name = match.group(1).strip()
    if not name:
        name = unquote(PurePosixPath(urlsplit(url).path).name)
    name = PurePosixPath(name.replace("\\", "/")).name or (urlsplit(url).hostname or "document")
    if PurePosixPath(name).suffix.lower() not in EXTENSIONS:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        name += _TEXT_TYPES.get(media, "")
    return name


def _fresh_until(response: httpx.Response, settings: FetchSettings) -> float:
    """Until when the bytes may be reused without asking: Cache-Control, then Expires, then the setting."""
    now = time.time()
    control = response.headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return now
    if match := re.search(r"(?:^|[,\s])max-age\s*=\s*(\d+)", control):
        return now + int(match.group(1))
    expires = response.headers.get("expires")
    if expires:
        try:
            parsed = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return now  # an invalid Expires means already expired
        return max(now, parsed.timestamp())
    return now + settings.fresh_seconds
