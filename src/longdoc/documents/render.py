"""Documents as Markdown: headings marked with #, pages separated and labelled."""

from __future__ import annotations

from longdoc.core.documents import Document


def to_markdown(doc: Document) -> str:
    # Insertion points sorted by offset: page markers go before headings at the same offset.
    marks: list[tuple[int, int, str]] = []
    for page in doc.pages:
        label = f" — {page.label}" if page.label else ""
        marks.append((page.start, 0, f"<!-- page {page.number}{label} -->\n\n"))
    for heading in doc.headings:
        if not doc.text.startswith("#", heading.start):
            marks.append((heading.start, 1, "#" * max(1, min(heading.level, 6)) + " "))
    marks.sort()
    out: list[str] = []
    pos = 0
    for offset, _, marker in marks:
        out.append(doc.text[pos:offset])
        out.append(marker)
        pos = offset
    out.append(doc.text[pos:])
    return "".join(out)
