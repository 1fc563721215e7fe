"""Which encoding a text file uses.

The order matters: UTF-8 and UTF-16 with a byte-order mark, then UTF-8, then GB18030, then
charset-normalizer. GB18030 comes before detection because charset-normalizer returns nothing,
or a wrong answer, on some real GB18030 files.

A byte-order mark or a detection is only a claim: bytes that start like a UTF-16 mark (two
invalid UTF-8 bytes in front of ASCII) read as Chinese-looking nonsense. So the claimed reading is
compared with UTF-8 read with replacement characters, and a reading far messier than the other
(charset-normalizer's mess ratio) loses. GB18030 decodes most byte pairs, so text in a single-byte
encoding (EBCDIC, say) can read as Chinese without an error: a GB18030 reading is kept only when
its characters are mostly the common ones GB2312 holds (real simplified Chinese ≈ 99%,
traditional ≈ 80%, EBCDIC English ≈ 5%); otherwise detection decides.
"""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GUESSES = ("utf-8", "gb18030")
_DETECT_SAMPLE = 256 * 1024
_SCORE_SAMPLE = 64 * 1024
# How much higher a reading's mess ratio (0 for clean text; ASCII read as UTF-16 scores about 2)
# may be than the best reading's before it loses.
_FAR_MESSIER = 0.5
# A GB18030 reading with fewer of its non-ASCII characters in GB2312 than this is not Chinese,
# judged once it has this many non-ASCII characters.
_GB2312_SHARE = 0.5
_GB2312_JUDGED_FROM = 20
# C0 controls that do not occur in text (tab, newlines and form feed do)
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}


def bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def looks_like_text(sample: bytes) -> bool:
    """Whether the first bytes of a file read as text in some encoding (the sample may end mid-character)."""
    if bom_encoding(sample) is not None:
        return True
    if b"\x00" in sample:
        return False
    for encoding in _GUESSES:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return _mostly_printable(text)
    best = _detect(sample)
    return best is not None and _mostly_printable(sample.decode(best, errors="replace"))


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    claimed = bom_encoding(data)
    if claimed is None:
        for encoding in _GUESSES:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if encoding != "gb18030" or _reads_as_chinese(text):
                return text, encoding
        claimed = _detect(data[:_DETECT_SAMPLE]) or "latin-1"
    encoding = _least_messy(data, [claimed, "utf-8"])
    return data.decode(encoding, errors="replace"), encoding.removesuffix("-sig")


def _least_messy(data: bytes, encodings: list[str]) -> str:
    """The first of ``encodings`` whose reading of the data's start is not far messier than the best."""
    from charset_normalizer.md import mess_ratio

    sample = data[:_SCORE_SAMPLE]
    scores = [
        mess_ratio(codecs.getincrementaldecoder(e)(errors="replace").decode(sample, final=False), 1.0)
        for e in encodings
    ]
    best = min(scores)
    return next(e for e, score in zip(encodings, scores, strict=True) if score <= best + _FAR_MESSIER)


def _reads_as_chinese(text: str) -> bool:
    """Whether most of the text's non-ASCII characters, in a sample, are ones GB2312 holds."""
    wide = [ch for ch in text[:_SCORE_SAMPLE] if not ch.isascii()]
    if len(wide) < _GB2312_JUDGED_FROM:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common >= _GB2312_SHARE * len(wide)


def _detect(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return None if best is None else str(best.encoding)


def _mostly_printable(text: str) -> bool:
    if not text:
        return True
    controls = sum(1 for ch in text if ord(ch) in _CONTROL)
    return controls <= len(text) // 100
