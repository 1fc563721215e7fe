"""prepare_isolated: the child parses, counts and indexes exactly as the same steps in process,
and fails with the parse's own reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.config import ContextSettings, ParsingSettings
from longdoc.context.indexing import build_index
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.documents.preparation import prepare_isolated
from longdoc.parsing import parse_path

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"


@pytest.mark.parametrize("name", ["R-intro.p12-14.pdf", "debian-edu-manual.zh-cn.toc.gb18030.txt"])
def test_the_child_prepares_what_the_steps_make_in_process(name: str) -> None:
    path = DOCUMENTS / name
    context = ContextSettings(chunk_target_tokens=200, chunk_max_tokens=300, chunk_min_tokens=50)
    counter = TokenCounter()
    expected = parse_path(path, filename=name)
    with prepare_isolated(
        path,
        file_id="file-fe-x",
        strategy=ParsingStrategy.AUTO,
        filename=name,
        parsing=ParsingSettings(),
        context=context,
    ) as prepared:
        assert Document.model_validate_json(prepared.document_json.read_bytes()) == expected
        built = build_index(expected, file_id="file-fe-x", counter=counter, settings=context)
        assert prepared.index.read_bytes() == built.to_bytes()
        assert prepared.tokens == counter.count(expected.text)
        assert (prepared.format, prepared.pages) == (expected.format, len(expected.pages) or None)
        assert prepared.child_peak_rss_mb > 0
        folder = prepared.document_json.parent
    assert not folder.exists()  # the child's files are gone once published


def test_a_file_that_cannot_be_parsed_fails_with_its_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with (
        pytest.raises(ParseFailed) as failed,
        prepare_isolated(
            empty,
            file_id="file-fe-y",
            strategy=ParsingStrategy.AUTO,
            filename="empty.pdf",
            parsing=ParsingSettings(),
            context=ContextSettings(),
        ),
    ):
        pass
    assert failed.value.message == parse_failure(empty)


def parse_failure(path: Path) -> str:
    with pytest.raises(ParseFailed) as failed:
        parse_path(path, filename=path.name)
    return failed.value.message
