from __future__ import annotations

import subprocess
import sys
from itertools import pairwise

import pytest

from longdoc.context.tokens import MAX_PART_CHARS, TokenCounter, find_qwen_vocabulary

SAMPLES = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog. It's 2024-06-01!",
    "你好，世界！这是一个测试。",
    "日本語のテキストも数えます。",
    "<|im_start|>user\nWhat is this?<|im_end|>\n",
    "cafe\u0301 and café",  # decomposed é: both tokenizers normalise to NFC first
    "  indented\n\n\n\tcode()  \r\n",
    "emoji 🚀🚀 and math ∑ x² ≤ 3",
]


@pytest.fixture(scope="module")
def dashscope_tokenizer():
    qwen = pytest.importorskip("dashscope.tokenizers.qwen_tokenizer")
    return qwen.QwenTokenizer(str(find_qwen_vocabulary()))


@pytest.mark.parametrize("text", SAMPLES)
def test_ids_match_dashscope_tokenizer(counter: TokenCounter, dashscope_tokenizer, text: str) -> None:
    assert counter.encode(text) == dashscope_tokenizer.encode(text)
    assert counter.count(text) == len(dashscope_tokenizer.encode(text))


def test_long_text_matches_dashscope_and_does_not_crash(
    counter: TokenCounter, dashscope_tokenizer, chinese_prose: str
) -> None:
    text = (chinese_prose + "\n" + " " * 150_000 + "\n") * 3
    assert len(text) > 3 * MAX_PART_CHARS
    assert counter.encode(text) == dashscope_tokenizer.encode(text)


def test_special_tokens_can_be_plain_text(counter: TokenCounter) -> None:
    assert counter.encode("<|im_end|>") == [151645]
    assert len(counter.encode("<|im_end|>", special=False)) > 1


def test_decode_round_trips(counter: TokenCounter, chinese_prose: str) -> None:
    text = chinese_prose[:2000]
    assert counter.decode(counter.encode(text)) == text
    assert counter.count("") == 0


def test_cut_points_give_slices_within_the_limit(counter: TokenCounter, chinese_prose: str) -> None:
    text = chinese_prose[:6000]
    cuts = counter.cut_points(text, 50)
    bounds = [0, *cuts, len(text)]
    pieces = [text[a:b] for a, b in pairwise(bounds)]
    assert "".join(pieces) == text
    assert cuts == sorted(set(cuts))
    assert all(counter.count(p) <= 50 for p in pieces)
    assert counter.cut_points("short", 50) == []


def test_building_does_not_import_dashscope() -> None:
    code = (
        "import sys\nfrom longdoc.context.tokens import TokenCounter\n"
        "c = TokenCounter()\nassert c.count('hello world') == 2\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dashscope', 'requests', 'aiohttp', 'websocket'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
