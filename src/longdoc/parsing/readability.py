"""Whether a parse produced text a person could read: the last check on every backend's output.

Bytes can decode without an error and still mean nothing: a text file in an encoding it was not
read in, or the random characters LibreOffice makes of a damaged DOC. Such a text is a failed
parse, not a document. Two signs, on a sample spread over the text:

- most characters are replacement, control, unassigned, private-use or surrogate characters;
- a fair share are, and the rest is a jumble of scripts and symbols (charset-normalizer's mess
  ratio; random 16-bit code units score about 2, real text in any language well under 1).
"""

from __future__ import annotations

import unicodedata

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.sniff import DESCRIPTIONS

_WINDOWS = 16  # a long text is judged by this many windows spread over it
_WINDOW_CHARS = 4096
_MEANINGLESS_CATEGORIES = frozenset(("Cc", "Cn", "Co", "Cs"))
_WHITESPACE_CONTROLS = frozenset("\t\n\r\f\v")
_MOSTLY = 0.5  # this share of meaningless characters is unreadable on its own
_NOISY = 0.05  # from this share, a messy rest makes the text unreadable
_MESSY = 1.0


def check_readable(document: Document) -> None:
    """Raise ``ParseFailed`` when ``document``'s text is characters that mean nothing."""
    sample = _sample(document.text)
    if not sample.strip():
        return  # an empty document is a document (a DOCX with only images, say)
    share = sum(1 for ch in sample if _meaningless(ch)) / len(sample)
    if share >= _MOSTLY:
        why = f"{share:.0%} of its characters are replacement, control, private-use or unassigned characters"
    elif share >= _NOISY and _mess(sample) >= _MESSY:
        why = (
            f"it is a jumble of unrelated characters, {share:.0%} of them control, private-use or unassigned"
        )
    else:
        return
    hint = (
        "the file may be in another encoding, or not text" if document.encoding else "the file may be damaged"
    )
    raise ParseFailed(f"the text could not be read as {_what(document)}: {why}; {hint}")


def _sample(text: str) -> str:
    if len(text) <= _WINDOWS * _WINDOW_CHARS:
        return text
    step = len(text) // _WINDOWS
    return "".join(text[i * step : i * step + _WINDOW_CHARS] for i in range(_WINDOWS))


def _meaningless(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    return unicodedata.category(ch) in _MEANINGLESS_CATEGORIES and ch not in _WHITESPACE_CONTROLS


def _mess(sample: str) -> float:
    from charset_normalizer.md import mess_ratio

    return float(mess_ratio(sample, 1.0))


def _what(document: Document) -> str:
    if document.encoding:
        return document.encoding.upper()
    return DESCRIPTIONS.get(document.format, document.format.upper())
