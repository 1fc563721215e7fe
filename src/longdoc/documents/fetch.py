"""Fetching a ``doc_url`` without letting it reach inside the network (SSRF).

The host is resolved here, every address it resolves to is checked (``guard``), and the connection
goes to a checked address (the URL's host is kept for ``Host`` and TLS), so a DNS answer cannot change
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
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

import longdoc
from longdoc.config import FetchSettings
from longdoc.core.errors import FetchFailed, InvalidRequest, TooLarge
from longdoc.documents.guard import AddressGuard, IPAddress
from longdoc.documents.names import stored_filename
from longdoc.parsing.sniff import EXTENSIONS
from longdoc.storage.blobs import BlobStore, StagedBlob

Resolver = Callable[[str, int], list[str]]

REDIRECTS = {301, 302, 303, 307, 308}
_TEXT_TYPES = {"text/plain": ".txt", "text/markdown": ".md", "text/csv": ".csv", "application/json": ".json"}


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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
    try:
        name = stored_filename(name)
    except InvalidRequest:  # nothing usable: the host names the document
        name = urlsplit(url).hostname or "document"
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
