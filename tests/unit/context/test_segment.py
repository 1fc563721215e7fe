from __future__ import annotations

import time

from longdoc.context.lexical import query_terms
from longdoc.context.segment import index_terms, stem, word_parts


def test_words_are_lowercased_runs_of_letters_and_digits() -> None:
    assert index_terms("The Effective-Date is 2019/01/05, café ＡＢＣ.") == [
        "the", "effective", "date", "is", "2019", "01", "05", "café", "abc",
    ]  # fmt: skip


def test_chinese_gives_characters_and_bigrams() -> None:
    terms = index_terms("安装网卡")
    assert terms == ["安", "装", "网", "卡", "安装", "装网", "网卡"]


def test_mixed_scripts_split_at_script_changes() -> None:
    terms = index_terms("LTSP服务器 需要2块网卡；日本語のテキスト 한국어")
    assert "ltsp" in terms and "服务" in terms and "务器" in terms
    assert "2" in terms and "网卡" in terms
    assert "日本" in terms and "テキ" in terms
    assert "한국어" in terms


def test_query_and_document_share_terms() -> None:
    document = set(index_terms("请记住系统要求确保有至少有两块网卡（NIC）。"))
    assert set(index_terms("需要几块网卡")) & document >= {"网卡", "块网"}


def test_stemming_makes_variants_meet() -> None:
    groups = [
        ("date", "dates", "dated"),
        ("govern", "governed", "governing"),
        ("party", "parties"),
        ("agree", "agreed", "agrees"),
        ("run", "running"),
        ("law", "laws"),
    ]
    for group in groups:
        assert len({stem(w) for w in group}) == 1, group
    assert stem("string") == "string"  # no vowel would be left
    assert stem("网卡") == "网卡"
    assert stem("2019") == "2019"


def test_segmenting_is_fast(chinese_prose: str) -> None:
    text = chinese_prose * 30  # ≈ 900 kB of mixed Chinese and English
    started = time.perf_counter()
    terms = index_terms(text)
    elapsed = time.perf_counter() - started
    assert len(terms) > 100_000
    assert elapsed < 5.0  # ≈ 0.3 s on 2 shared cores; generous for loaded CI


def test_words_mixing_letters_and_digits_stay_whole_and_queries_also_search_their_parts() -> None:
    assert index_terms("FY2018 revenue rose in Q4") == ["fy2018", "revenue", "rose", "in", "q4"]
    assert word_parts("FY2018 revenue rose in Q4, 2019s; 1,234; COVID19 A320neo") == [
        "fy", "2018", "2019", "covid", "320", "neo",
    ]  # fmt: skip
    assert word_parts("plain words, 2018 alone, X1 and Q4") == []  # "x", "1", "q" and "4" find anything
    assert {"fy2018", "2018"} <= set(query_terms("What was FY2018 revenue?"))
