from longdoc.extraction.grounding import NormalisedText, align


def test_exact_is_case_width_and_separator_insensitive() -> None:
    text = "型号：X100，价格 ¥8,999。Model ｘ２００ costs 12,999元"
    norm = NormalisedText(text)
    span = align("8999", norm)
    assert span is not None and span.match == "exact" and text[span.start : span.end] == "8,999"
    span = align("X200", norm)
    assert span is not None and text[span.start : span.end] == "ｘ２００"
    assert align("1", NormalisedText("Model X100")) is None  # not inside a word


def test_fuzzy_aligns_words_out_of_reach_of_an_exact_match() -> None:
    text = "The Receiving Party shall keep the information secret for a period of two (2) years."
    span = align("period of two years", NormalisedText(text))
    assert span is not None and span.match == "fuzzy"
    assert text[span.start : span.end] == "period of two (2) years"
    assert align("completely unrelated words here", NormalisedText(text)) is None


def test_chinese_and_japanese_align_by_character() -> None:
    text = "本协议自二〇二三年一月一日起生效，有效期为三年。"
    span = align("有效期三年", NormalisedText(text))
    assert span is not None and span.match == "fuzzy" and text[span.start : span.end] == "有效期为三年"
    japanese = "本製品の価格は１２，８００円です。"
    span = align("価格は12800円", NormalisedText(japanese))
    assert (
        span is not None
        and span.match == "exact"
        and japanese[span.start : span.end] == "価格は１２，８００円"
    )


def test_a_rewritten_date_aligns_to_the_date_as_written() -> None:
    text = "Signed on 01/02/2016. This Agreement is effective as of the 10th day of February, 2017."
    span = align("2017-02-10", NormalisedText(text))
    assert span is not None and span.match == "fuzzy"
    assert text[span.start : span.end] == "10th day of February, 2017"
    assert align("2023-01-01", NormalisedText(text)) is None  # a date the text does not hold


def test_a_number_is_found_where_the_text_writes_the_same_number() -> None:
    text = NormalisedText("Sub Total 129.30\nGST 7.30\nTotal 1.299,00 EUR")
    at = align("129.3", text)
    assert at is not None and text.original[at.start : at.end] == "129.30" and at.match == "fuzzy"
    euro = align("1299", text, decimal_comma=True)
    assert euro is not None and text.original[euro.start : euro.end] == "1.299,00"
    assert align("130", text) is None
