"""The doc_url fetcher against a real loopback HTTP server: the guard on every hop, limits, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from longdoc.config import FetchSettings
from longdoc.core.errors import FetchFailed, FetchRefused, TooLarge
from longdoc.documents.fetch import UrlFetcher, Validators
from longdoc.documents.guard import AddressGuard
from longdoc.storage.blobs import FilesystemBlobStore
from support.doc_server import DocServer

TEXT = b"The X1 drill has a warranty of 24 months.\n"


@pytest.fixture
def docs() -> Iterator[DocServer]:
    with DocServer() as server:
        yield server


@pytest.fixture
def blobs(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def fetcher(
    blobs: FilesystemBlobStore,
    allow: list[str] | None = None,
    *,
    max_bytes: int = 1_000_000,
    hosts: dict[str, list[str]] | None = None,
    **settings: float,
) -> UrlFetcher:
    """A fetcher; ``hosts`` is its DNS (names the test invents), else the system resolver."""

    def resolve(host: str, port: int) -> list[str]:
        if hosts is None:
            return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        if host not in hosts:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return hosts[host]

    return UrlFetcher(
        AddressGuard(["127.0.0.1"] if allow is None else allow),
        FetchSettings(**settings),
        blobs,
        max_bytes=max_bytes,
        resolver=resolve,
    )


def staged_bytes(result: object) -> bytes:
    staged = result.staged  # type: ignore[attr-defined]
    assert staged is not None
    return Path(staged.temp_path).read_bytes()


def test_fetches_the_bytes_with_validators_and_name(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.add("/manuals/x1.txt", TEXT, headers={"ETag": '"v1"', "Content-Type": "text/plain"})
    result = fetcher(blobs).fetch(url)
    assert staged_bytes(result) == TEXT
    assert result.staged is not None and result.staged.size == len(TEXT)
    assert result.filename == "x1.txt"
    assert result.validators == Validators(etag='"v1"', last_modified=None)
    assert docs.requests_for("/manuals/x1.txt")[0].headers["Host"] == f"127.0.0.1:{docs.port}"


def test_a_304_answers_matching_validators(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.add("/a.txt", TEXT, headers={"ETag": '"v1"'})
    result = fetcher(blobs).fetch(url, Validators(etag='"v1"'))
    assert result.not_modified and result.staged is None
    assert docs.requests_for("/a.txt")[0].headers["If-None-Match"] == '"v1"'


def test_the_loopback_server_is_refused_without_the_allowlist(
    docs: DocServer, blobs: FilesystemBlobStore
) -> None:
    url = docs.add("/a.txt", TEXT)
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1 is a loopback address"):
        fetcher(blobs, allow=[]).fetch(url)
    assert docs.seen == []  # refused before connecting


def test_a_name_that_resolves_to_a_private_address_is_refused(blobs: FilesystemBlobStore) -> None:
    f = fetcher(blobs, hosts={"intranet.test": ["192.168.7.7"]})
    with pytest.raises(FetchRefused, match=r"intranet\.test resolves to 192\.168\.7\.7, a private address"):
        f.fetch("http://intranet.test/secret.docx")


def test_every_resolved_address_is_checked(blobs: FilesystemBlobStore) -> None:
    # a round-robin name with one public and one metadata answer is refused as a whole
    f = fetcher(blobs, hosts={"mixed.test": ["93.184.215.14", "169.254.169.254"]})
    with pytest.raises(FetchRefused, match="a cloud metadata address"):
        f.fetch("http://mixed.test/a.pdf")


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:9/a.txt",
        "http://[::ffff:127.0.0.1]:9/a.txt",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.txt",
        "http://172.16.0.1/a.txt",
    ],
)
def test_literal_internal_addresses_are_refused(url: str, blobs: FilesystemBlobStore) -> None:
    with pytest.raises(FetchRefused):
        fetcher(blobs, allow=[]).fetch(url)


def test_allowed_by_host_name(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/a.txt", TEXT)
    f = fetcher(blobs, allow=["docs.test"], hosts={"docs.test": ["127.0.0.1"]})
    result = f.fetch(f"http://docs.test:{docs.port}/a.txt")
    assert staged_bytes(result) == TEXT
    # connected to the checked address, while the server still sees the name asked for
    assert docs.requests_for("/a.txt")[0].headers["Host"] == f"docs.test:{docs.port}"


def test_allowed_by_cidr_range(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.add("/a.txt", TEXT)
    assert staged_bytes(fetcher(blobs, allow=["127.0.0.0/8"]).fetch(url)) == TEXT


def test_a_redirect_to_a_private_address_is_refused(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    # the first hop is allowed by name; its redirect goes to an address nobody allowed
    docs.add("/a.txt", status=302, location="http://10.9.8.7/internal.txt")
    f = fetcher(blobs, allow=["docs.test"], hosts={"docs.test": ["127.0.0.1"]})
    with pytest.raises(FetchRefused, match=r"10\.9\.8\.7 is a private address"):
        f.fetch(f"http://docs.test:{docs.port}/a.txt")


def test_a_redirect_to_the_loopback_name_is_refused(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/a.txt", status=301, location=f"http://127.0.0.1:{docs.port}/b.txt")
    docs.add("/b.txt", TEXT)
    f = fetcher(blobs, allow=["docs.test"], hosts={"docs.test": ["127.0.0.1"]})
    with pytest.raises(FetchRefused, match="a loopback address"):
        f.fetch(f"http://docs.test:{docs.port}/a.txt")
    assert docs.requests_for("/b.txt") == []


def test_redirects_are_followed_and_checked(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/old.txt", status=301, location="/middle.txt")
    docs.add("/middle.txt", status=307, location=docs.url("/new.txt"))
    docs.add("/new.txt", TEXT)
    result = fetcher(blobs).fetch(docs.url("/old.txt"))
    assert staged_bytes(result) == TEXT
    assert result.final_url == docs.url("/new.txt") and result.filename == "new.txt"


def test_too_many_redirects(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/loop.txt", status=302, location="/loop.txt")
    with pytest.raises(FetchFailed, match="more than 2 redirects"):
        fetcher(blobs, max_redirects=2).fetch(docs.url("/loop.txt"))
    assert len(docs.requests_for("/loop.txt")) == 3


def test_a_redirect_to_another_scheme_is_refused(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/a.txt", status=302, location="file:///etc/passwd")
    with pytest.raises(FetchFailed, match="only http and https"):
        fetcher(blobs).fetch(docs.url("/a.txt"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/a.txt", "gopher://127.0.0.1/"])
def test_only_http_and_https(url: str, blobs: FilesystemBlobStore) -> None:
    with pytest.raises(FetchFailed, match="only http and https"):
        fetcher(blobs).fetch(url)


def test_a_404_names_the_url_and_the_status(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.url("/missing.docx")
    with pytest.raises(FetchFailed) as caught:
        fetcher(blobs).fetch(url)
    assert caught.value.message == f"Failed to fetch doc_url {url}: the server answered 404 Not Found"
    assert not isinstance(caught.value, FetchRefused)


def test_a_declared_size_over_the_limit_is_refused_before_reading(
    docs: DocServer, blobs: FilesystemBlobStore
) -> None:
    url = docs.add("/big.txt", b"x" * 5000)
    with pytest.raises(TooLarge, match=r"is 5,000 bytes, over the limit of 4,096"):
        fetcher(blobs, max_bytes=4096).fetch(url)
    assert list((blobs.root / "tmp").iterdir()) == []


def test_an_undeclared_size_is_capped_while_streaming(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.add("/big.txt", b"x" * 300_000, chunked=True)
    with pytest.raises(TooLarge, match=r"larger than the limit of 100,000 bytes"):
        fetcher(blobs, max_bytes=100_000).fetch(url)
    assert list((blobs.root / "tmp").iterdir()) == []  # the partial download is gone


def test_a_silent_server_times_out(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    url = docs.add("/slow.txt", TEXT, delay=2.0)
    with pytest.raises(FetchFailed, match="the server stopped sending"):
        fetcher(blobs, read_timeout_seconds=0.3).fetch(url)


def test_an_unknown_host(blobs: FilesystemBlobStore) -> None:
    with pytest.raises(FetchFailed, match=r"nowhere\.test could not be resolved"):
        fetcher(blobs, hosts={}).fetch("https://nowhere.test/a.pdf")


def test_a_closed_port(blobs: FilesystemBlobStore) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchFailed, match="could not connect"):
        fetcher(blobs).fetch(f"http://127.0.0.1:{port}/a.txt")


def test_names_come_from_content_disposition_and_text_types(
    docs: DocServer, blobs: FilesystemBlobStore
) -> None:
    docs.add(
        "/download",
        b"# Title\n",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''%E6%89%8B%E5%86%8C.md"},
    )
    docs.add("/notes", b"a,b\n1,2\n", headers={"Content-Type": "text/csv; charset=utf-8"})
    f = fetcher(blobs)
    assert f.fetch(docs.url("/download")).filename == "手册.md"
    assert f.fetch(docs.url("/notes")).filename == "notes.csv"


def test_a_servers_name_is_cleaned_as_an_uploads_is(docs: DocServer, blobs: FilesystemBlobStore) -> None:
    docs.add("/nul", b"x", headers={"Content-Disposition": "attachment; filename*=UTF-8''a%00b%0D.txt"})
    docs.add("/blank", b"x", headers={"Content-Disposition": "attachment; filename*=UTF-8''%00%01"})
    f = fetcher(blobs)
    assert f.fetch(docs.url("/nul")).filename == "ab.txt"  # PostgreSQL text cannot hold the NUL
    assert f.fetch(docs.url("/blank")).filename == "127.0.0.1"


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` that is its own authority, and its key."""
    pytest.importorskip("cryptography", reason="the TLS test makes its certificate with cryptography")
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(("certified", "works"), [("docs.test", True), ("other.test", False)])
def test_https_connects_to_the_checked_address_and_verifies_the_name(
    tmp_path: Path, blobs: FilesystemBlobStore, certified: str, works: bool
) -> None:
    import ssl

    cert, key = self_signed(tmp_path, certified)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    with DocServer(tls=server_tls) as docs:
        docs.add("/a.txt", TEXT)
        f = UrlFetcher(
            AddressGuard(["docs.test"]),
            FetchSettings(ca_file=cert),
            blobs,
            max_bytes=1_000_000,
            resolver=lambda host, port: ["127.0.0.1"],
        )
        url = f"https://docs.test:{docs.port}/a.txt"
        if works:
            assert staged_bytes(f.fetch(url)) == TEXT
            assert docs.requests_for("/a.txt")[0].headers["Host"] == f"docs.test:{docs.port}"
        else:  # the certificate is for another name: the TLS check still uses the URL's host
            with pytest.raises(FetchFailed, match="could not connect"):
                f.fetch(url)
