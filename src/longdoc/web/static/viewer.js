// The parsed-text viewer: a file's text page by page, with a passage marked and scrolled to.
// Offsets from the server count Unicode code points; JavaScript strings count UTF-16 units.

import { byId, clear, el } from "./dom.js";

/** UTF-16 index of each code-point offset in `offsets`, for `text`. */
export function utf16Offsets(text, offsets) {
  if (!/[\uD800-\uDFFF]/.test(text)) return offsets.slice(); // no astral characters: the same
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const found = new Map();
  let points = 0;
  let units = 0;
  for (const target of wanted) {
    while (points < target && units < text.length) {
      const code = text.charCodeAt(units);
      units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
      points += 1;
    }
    found.set(target, units);
  }
  return offsets.map((offset) => found.get(offset));
}

/** A short excerpt of a passage, for lists. */
export function snippet(documentJson, start, end, length = 220) {
  const [from, to] = utf16Offsets(documentJson.text, [start, Math.min(end, start + length)]);
  const piece = documentJson.text.slice(from, to).replace(/\s+/g, " ").trim();
  return end - start > length ? `${piece}…` : piece;
}

export class Viewer {
  constructor(session) {
    this.session = session;
    this.panel = byId("viewer");
    this.title = byId("viewer-title");
    this.meta = byId("viewer-meta");
    this.body = byId("viewer-body");
    this.fileId = null;
    byId("viewer-close").addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
  }

  close() {
    this.panel.hidden = true;
    document.body.classList.remove("viewing");
    this.opener?.focus?.();
  }

  forget(fileId) {
    if (this.fileId === fileId) this.close();
  }

  /** Show a file's parsed text; with a passage {start, end, page}, mark it and scroll to it. */
  async open(fileId, passage = null) {
    this.opener = document.activeElement;
    this.fileId = fileId;
    this.panel.hidden = false;
    document.body.classList.add("viewing");
    this.title.textContent = `Parsed text: ${this.session.fileName(fileId)}`;
    this.meta.textContent = "Loading…";
    clear(this.body);
    let documentJson;
    try {
      documentJson = await this.session.parsedDocument(fileId);
    } catch (error) {
      this.meta.textContent = `Could not load the parsed text: ${error.message}`;
      return;
    }
    if (this.fileId !== fileId) return; // another file was opened meanwhile
    this.render(documentJson, passage);
  }

  render(documentJson, passage) {
    const text = documentJson.text;
    const paged = Boolean(documentJson.pages && documentJson.pages.length);
    const pages = paged ? documentJson.pages : [{ number: null, start: 0, end: Number.MAX_SAFE_INTEGER, label: null }];
    const points = pages.flatMap((p) => [p.start, p.end]);
    if (passage) points.push(passage.start, passage.end);
    const units = utf16Offsets(text, points);
    const mark = passage ? { start: units[units.length - 2], end: units[units.length - 1] } : null;
    const where = passage && passage.page ? `, passage on page ${passage.page}` : passage ? ", passage marked" : "";
    const size = paged ? ` · ${pages.length} page${pages.length === 1 ? "" : "s"}` : "";
    this.meta.textContent = `${documentJson.format || "document"}${size}${where}`;

    let first = null;
    let scrollTarget = null;
    pages.forEach((page, index) => {
      const from = units[2 * index];
      const to = units[2 * index + 1];
      const heading = page.number == null ? null : `Page ${page.number}${page.label ? ` — ${page.label}` : ""}`;
      const textBox = el("div", { className: "page-text" });
      if (mark && mark.start < to && mark.end > from) {
        const a = Math.max(mark.start, from);
        const b = Math.min(mark.end, to);
        const marked = el("mark", { className: "passage", tabIndex: -1 }, text.slice(a, b));
        textBox.append(text.slice(from, a), marked, text.slice(b, to));
        first = first || marked;
      } else {
        textBox.append(text.slice(from, to));
      }
      const section = el(
        "section",
        { className: "page", "aria-label": heading || "Text" },
        heading && el("h3", {}, heading),
        textBox,
      );
      // a passage from the top of a page shows with its page heading
      if (first && !scrollTarget) scrollTarget = mark.start <= from ? section : first;
      this.body.append(section);
    });
    if (first) {
      // a passage mid-page shows with some of the text before it
      scrollTarget.scrollIntoView({ block: scrollTarget === first ? "center" : "start" });
      first.focus({ preventScroll: true });
    } else {
      this.title.focus();
    }
  }
}
