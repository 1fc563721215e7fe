"""What a DOCX paragraph's style and numbering make of it: a heading level, or a list marker.

Both are read straight from ``styles.xml`` and ``numbering.xml``: python-docx resolves neither
style inheritance for outline levels nor list counters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"^(?:heading|标题|titre|überschrift)\s*(\d)", re.IGNORECASE)
_TITLE_NAMES = {"title", "标题"}
_T = TypeVar("_T")


class _Inherit:
    """What a style says of a value it leaves to the style it is based on."""


_INHERIT = _Inherit()


def _val(element: Any) -> str | None:
    return None if element is None else element.get(f"{W}val")


@dataclass
class _Style:
    name: str
    based_on: str | None
    outline: int | None  # 0-based outline level, 9 = body text
    num: tuple[str, int] | None  # (numId, ilvl) when the style carries list numbering


class StyleBook:
    """Heading levels and list numbering of paragraph styles, inheritance resolved."""

    def __init__(self, styles_xml: Any) -> None:
        self._styles: dict[str, _Style] = {}
        self._levels: dict[str, int | None] = {}
        self._numbering: dict[str, tuple[str, int] | None] = {}
        if styles_xml is None:
            return
        for style in styles_xml.iter(f"{W}style"):
            if style.get(f"{W}type") != "paragraph":
                continue
            ppr = style.find(f"{W}pPr")
            outline = _val(ppr.find(f"{W}outlineLvl")) if ppr is not None else None
            num_pr = ppr.find(f"{W}numPr") if ppr is not None else None
            num = None
            if num_pr is not None and _val(num_pr.find(f"{W}numId")) not in (None, "0"):
                num = (_val(num_pr.find(f"{W}numId")) or "", int(_val(num_pr.find(f"{W}ilvl")) or 0))
            self._styles[style.get(f"{W}styleId") or ""] = _Style(
                name=_val(style.find(f"{W}name")) or "",
                based_on=_val(style.find(f"{W}basedOn")),
                outline=int(outline) if outline and outline.isdigit() else None,
                num=num,
            )

    def heading_level(self, style_id: str | None) -> int | None:
        """1 for Title and Heading 1, N for Heading N, following ``basedOn``; None for body text."""
        return self._inherited(style_id, self._levels, _own_level)

    def numbering(self, style_id: str | None) -> tuple[str, int] | None:
        return self._inherited(style_id, self._numbering, lambda style: style.num or _INHERIT)

    def _inherited(
        self, style_id: str | None, cache: dict[str, _T | None], own: Callable[[_Style], _T | _Inherit | None]
    ) -> _T | None:
        """The first value ``own`` settles on (anything but ``_INHERIT``) along the ``basedOn``
        chain from ``style_id``; None if none does.

        Every style on the walked chain has the same answer, so each is cached: a chain costs its
        length once, not once per style or per paragraph (a hostile file chains thousands).
        """
        walked: dict[str, None] = {}  # insertion-ordered, and a loop in the chain ends the walk
        found: _T | None = None
        current = style_id
        while current and current in self._styles and current not in walked:
            if current in cache:
                found = cache[current]
                break
            walked[current] = None
            value = own(self._styles[current])
            if not isinstance(value, _Inherit):
                found = value
                break
            current = self._styles[current].based_on
        for name in walked:
            cache[name] = found
        return found


def _own_level(style: _Style) -> int | _Inherit | None:
    """The heading level a style sets itself (None: body text), or ``_INHERIT``."""
    match = _HEADING_NAME.match(style.name)
    if match and match.group(1) != "0":
        return int(match.group(1))
    if style.name.lower() in _TITLE_NAMES:
        return 1
    if style.outline is not None:
        return style.outline + 1 if style.outline < 9 else None
    return _INHERIT


@dataclass
class _Level:
    fmt: str
    text: str
    start: int


_MAX_LEVEL = 8  # list levels are 0-8 (ECMA-376 ST_DecimalNumber ilvl)
_MAX_SPELLED = 4000  # counters spelled as letters or roman numerals up to this; digits above
_MAX_LEVEL_TEXT = 64  # a marker's template ("%1.%2)"), repeated on every item: kept short
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]  # fmt: skip


def _roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    # Word repeats the letter past z: a..z, aa..zz
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""


def _format_number(n: int, fmt: str) -> str:
    if n > _MAX_SPELLED:
        return str(n)  # letters and roman numerals grow with n: a hostile start value gets digits
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)  # decimal and the many East-Asian counting formats read fine as digits


@dataclass
class ListNumbering:
    """Turns (numId, ilvl) into the marker Word would show, keeping the running counters."""

    numbering_xml: Any
    _levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    _counters: dict[str, dict[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        root = self.numbering_xml
        if root is None:
            return
        abstract: dict[str, dict[int, _Level]] = {}
        for node in root.iter(f"{W}abstractNum"):
            abstract[node.get(f"{W}abstractNumId")] = self._read_levels(node)
        for num in root.iter(f"{W}num"):
            levels = dict(abstract.get(_val(num.find(f"{W}abstractNumId")) or "", {}))
            for override in num.iter(f"{W}lvlOverride"):
                ilvl = int(override.get(f"{W}ilvl") or 0)
                lvl = override.find(f"{W}lvl")
                if lvl is not None:
                    levels.update(self._read_levels(override))
                start = _val(override.find(f"{W}startOverride"))
                if start and start.isdigit() and ilvl in levels:
                    old = levels[ilvl]
                    levels[ilvl] = _Level(old.fmt, old.text, int(start))
            self._levels[num.get(f"{W}numId")] = levels

    @staticmethod
    def _read_levels(node: Any) -> dict[int, _Level]:
        levels = {}
        for lvl in node.iter(f"{W}lvl"):
            start = _val(lvl.find(f"{W}start")) or "1"
            levels[int(lvl.get(f"{W}ilvl") or 0)] = _Level(
                fmt=_val(lvl.find(f"{W}numFmt")) or "decimal",
                text=(_val(lvl.find(f"{W}lvlText")) or "")[:_MAX_LEVEL_TEXT],
                start=int(start) if start.lstrip("-").isdigit() else 1,
            )
        return levels

    def marker(self, num_id: str, ilvl: int) -> str:
        """The indented marker for the next item, e.g. ``"- "`` or ``"  2. "``."""
        ilvl = min(max(ilvl, 0), _MAX_LEVEL)  # the indent and the counters grow with it
        levels = self._levels.get(num_id, {})
        level = levels.get(ilvl, _Level("bullet", "", 1))
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        indent = "  " * ilvl
        if level.fmt == "none":
            return indent
        if level.fmt == "bullet":
            return f"{indent}- "

        # lvlText such as "%1." or "%1.%2)" names the counters of this level and its parents
        def counter(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            parent = levels.get(k, level)
            return _format_number(counters.get(k, parent.start), parent.fmt if k != ilvl else level.fmt)

        text = re.sub(r"%(\d)", counter, level.text) if level.text else f"{counters[ilvl]}."
        return f"{indent}{text} "
