import csv
import io
import json

from longdoc.extraction.command import render

ITEMS = [{"model": "X1", "price": 8999, "_source": [{"page": 1}]}, {"model": "Y2", "price": None}]


def test_formats() -> None:
    assert json.loads(render(ITEMS, "json")) == ITEMS
    assert [json.loads(line) for line in render(ITEMS, "jsonl").splitlines()] == ITEMS
    rows = list(csv.reader(io.StringIO(render(ITEMS, "csv"))))
    assert rows == [["model", "price", "_source"], ["X1", "8999", '[{"page": 1}]'], ["Y2", "", ""]]
    assert render({"label": "ok"}, "jsonl") == '{"label": "ok"}\n'
