"""The playground page and its assets through the real app: no key, strict CSP, nothing else served."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from longdoc.services import Services
from longdoc.web.router import static_assets
from support.callers import Caller

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
# what the page references: <link href>/<script src> in the HTML, `from "./x.js"` in the modules
HTML_ASSET = re.compile(r'(?:src|href)="playground/static/([^"]+)"')
JS_IMPORT = re.compile(r'from "\./([^"]+)"')
# every way to turn a string into markup; the playground renders data with text nodes only
HTML_SINKS = re.compile(
    r"\.(?:inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment"
)


def test_the_page_needs_no_key_and_carries_a_strict_csp(client: TestClient) -> None:
    response = client.get("/playground")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" in response.text and 'type="module"' in response.text
    assert "LONGDOC_API_KEY=" in response.text  # where to find a key, for a first visit


def test_a_trailing_slash_leads_to_the_page(client: TestClient) -> None:
    response = client.get("/playground/", follow_redirects=False)
    assert response.status_code == 308
    assert client.get("/playground/").url.path == "/playground"


def test_every_asset_the_page_loads_is_served_with_its_type(client: TestClient) -> None:
    page = client.get("/playground").text
    wanted = set(HTML_ASSET.findall(page))
    queue = [name for name in wanted if name.endswith(".js")]
    while queue:  # follow the module graph
        module = client.get(f"/playground/static/{queue.pop()}")
        assert module.status_code == 200
        for name in JS_IMPORT.findall(module.text):
            if name not in wanted:
                wanted.add(name)
                queue.append(name)
    assert {"app.js", "playground.css", "api.js", "sse.js", "dom.js"} <= wanted
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for name in wanted:
        response = client.get(f"/playground/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(types[name[name.rindex(".") :]]), name
        assert response.headers["content-security-policy"] == CSP
    # nothing is shipped that the page does not load
    assert set(static_assets()) == wanted | {"playground.html"}


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    for path in (
        "/playground/static/router.py",
        "/playground/static/..%2Frouter.py",
        "/playground/static/%2e%2e/router.py",
        "/playground/static/nothing.js",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "import" not in response.text


def test_no_module_turns_data_into_markup() -> None:
    for name, asset in static_assets().items():
        if name.endswith(".js"):
            source = asset.read_text(encoding="utf-8")
            assert not HTML_SINKS.search(source), f"{name} writes HTML"


def test_models_carry_their_list_prices(alice: Caller, services: Services) -> None:
    listed = alice.client.get("/v1/models", headers=alice.headers).json()["data"]
    assert listed
    for model in listed:
        entry = services.catalog.get(model["id"])
        assert model["x_pricing"] == {
            "input_per_million": entry.price_input_per_million,
            "output_per_million": entry.price_output_per_million,
            "currency": entry.currency,
        }
    one = alice.client.get("/v1/models/qwen-long", headers=alice.headers).json()
    assert one["x_pricing"]["currency"] == "CNY"


def test_the_api_still_wants_a_key(client: TestClient) -> None:
    assert client.get("/v1/files").status_code == 401
