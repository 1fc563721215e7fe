"""The seed's data-mining example, unchanged but for base URL and key: two product manuals
(DOCX, products in paragraphs and in tables, prices written "¥8,999" and "12,999元") and the
seed's prompt, through /chat/completions with the embedded model."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, wait_for_status

SEED_PROMPT = (
    "From these two product manuals, extract all product information as a JSON array; each object "
    "has model, name and price (currency symbols and commas removed)"
)
# (model, name, price as written, price as a number)
PHONES = [
    ("HX-100", "Aurora Phone", "¥8,999", 8999),
    ("HX-200", "Aurora Phone Pro", "¥10,499", 10499),
    ("HX-300", "Nimbus Tablet", "¥3,299", 3299),
]
PHONE_TABLE = [
    ("HX-410", "Pulse Watch", "12,999元", 12999),
    ("HX-520", "Echo Earbuds", "1,099元", 1099),
    ("HX-630", "Orbit Speaker", "2,499元", 2499),
]
HOME = [
    ("KB-01", "Breeze Air Purifier", "¥4,599", 4599),
    ("KB-02", "Glow Desk Lamp", "¥399", 399),
    ("KB-03", "Frost Refrigerator", "¥15,999", 15999),
]
HOME_TABLE = [
    ("KB-14", "Swift Robot Vacuum", "2,899元", 2899),
    ("KB-15", "Mist Humidifier", "699元", 699),
    ("KB-16", "Chef Rice Cooker", "1,299元", 1299),
]


def manual(
    path: Path, title: str, prose: list[tuple[str, str, str, int]], table: list[tuple[str, str, str, int]]
) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("Thank you for choosing our products. This manual lists the current range.")
    for model, name, price, _ in prose:
        document.add_paragraph(
            f"The {name} (model {model}) is sold at {price}. See the care section before first use."
        )
    document.add_heading("Accessories and more products", level=2)
    grid = document.add_table(rows=1, cols=3)
    for cell, header in zip(grid.rows[0].cells, ("Model", "Product name", "Price"), strict=True):
        cell.text = header
    for model, name, price, _ in table:
        row = grid.add_row().cells
        row[0].text, row[1].text, row[2].text = model, name, price
    document.add_paragraph("Prices include VAT. Warranty: 24 months.")
    document.save(path)
    return path


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[openai.OpenAI]:
    require_embedded_model()
    # the default idle poll: the suite's 0.1 s poll wakes the job workers often enough to slow the
    # model by a quarter on 2 cores, and the time printed here should be what a user sees
    server = LongdocServer(
        tmp_path_factory.mktemp("extract") / "data", env={"LONGDOC_JOBS__POLL_SECONDS": "0.5"}
    ).start()
    yield openai_client(server)
    server.stop()


def test_the_seed_product_manuals_come_back_whole_with_plain_prices(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    files = [
        manual(tmp_path / "phones.docx", "Handset product manual", PHONES, PHONE_TABLE),
        manual(tmp_path / "home.docx", "Home appliance product manual", HOME, HOME_TABLE),
    ]
    ids = []
    for path in files:
        created = client.files.create(file=path, purpose="file-extract")
        assert wait_for_status(client, created.id).status == "processed"
        ids.append(created.id)
    started = time.monotonic()
    completion = client.chat.completions.create(
        model="qwen-long",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": ",".join(f"fileid://{i}" for i in ids)},
            {"role": "user", "content": SEED_PROMPT},
        ],
        response_format={"type": "json_object"},
        extra_body={"x_grounding": True},
    )
    seconds = time.monotonic() - started
    content = completion.choices[0].message.content or ""
    products = json.loads(content)  # valid JSON, no fences, no prose
    print(
        f"\n{len(products)} products in {seconds:.1f} s:\n{json.dumps(products, ensure_ascii=False)[:3000]}"
    )
    expected = {model: price for model, _, _, price in PHONES + PHONE_TABLE + HOME + HOME_TABLE}
    models = [p["model"] for p in products]
    assert sorted(models) == sorted(expected)  # every product, once
    for product in products:
        assert product["price"] == expected[product["model"]], product  # plain digits
        assert product["_source"] and all(s["file_id"] in ids for s in product["_source"])
    names = {model: name for model, name, _, _ in PHONES + PHONE_TABLE + HOME + HOME_TABLE}
    assert sum(p["name"] == names[p["model"]] for p in products) >= 10
