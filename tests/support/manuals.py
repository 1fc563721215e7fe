"""Product manuals as real DOCX files (python-docx), like the ones the seed's doc_url example reads."""

from __future__ import annotations

import io


def product_manual(title: str, intro: str, products: list[tuple[str, str, str]]) -> bytes:
    """A DOCX with a heading, a paragraph and a table of (model, name, price) rows."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(intro)
    table = document.add_table(rows=1, cols=3)
    for cell, label in zip(table.rows[0].cells, ("Model", "Name", "Price"), strict=True):
        cell.text = label
    for product in products:
        for cell, value in zip(table.add_row().cells, product, strict=True):
            cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
