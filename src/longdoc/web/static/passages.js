// "What the answer read": the passages of x_context, each a button that opens it in the viewer.

import { el } from "./dom.js";
import { snippet } from "./viewer.js";

const OPEN_UP_TO = 3; // longer lists start folded; the answer's [n] links still reach every one

export function describePlan(context) {
  const plans = {
    full: "the whole of each document",
    retrieve: "the passages retrieval found",
    map_reduce: "every part, summarised in turn",
  };
  return plans[context.plan] || context.plan;
}

/** A <details> listing the passages; snippets fill in as parsed texts arrive. */
export function passageList(session, viewer, context) {
  const passages = (context && context.passages) || [];
  if (!passages.length) return null;
  const items = passages.map((passage) => passageItem(session, viewer, passage));
  return el(
    "details",
    { className: "passages", open: passages.length <= OPEN_UP_TO },
    el("summary", {}, `Passages read (${passages.length}) — ${describePlan(context)}`),
    context.fallback && el("p", { className: "hint" }, context.fallback),
    el("ol", {}, items),
  );
}

/** The answer's citations "[n]" (n-th passage read) become buttons that open that passage. */
export function linkCitations(node, session, viewer, context) {
  const passages = (context && context.passages) || [];
  const text = node.textContent;
  if (!passages.length || !/\[\d+\]/.test(text)) return;
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const passage = passages[Number(match[1]) - 1];
    if (!passage || !passage.file_id || !session.files.has(passage.file_id)) continue;
    parts.push(text.slice(last, match.index));
    const where = passage.page != null ? `, page ${passage.page}` : "";
    parts.push(
      el(
        "button",
        {
          type: "button",
          className: "cite",
          onclick: () => viewer.open(passage.file_id, passage),
          "aria-label": `Passage ${match[1]}: ${session.fileName(passage.file_id)}${where}`,
        },
        match[0],
      ),
    );
    last = match.index + match[0].length;
  }
  if (!parts.length) return;
  parts.push(text.slice(last));
  node.replaceChildren(...parts);
}

function passageItem(session, viewer, passage) {
  const name = passage.file_id ? session.fileName(passage.file_id) : passage.document;
  const where = passage.page != null ? `page ${passage.page}` : `characters ${passage.start}–${passage.end}`;
  const excerpt = el("span", { className: "snippet" }, "…");
  const label = el("span", { className: "passage-where" }, `${name} · ${where}`);
  if (passage.file_id && session.files.has(passage.file_id)) {
    session
      .parsedDocument(passage.file_id)
      .then((doc) => {
        excerpt.textContent = snippet(doc, passage.start, passage.end);
      })
      .catch(() => {
        excerpt.textContent = "(text unavailable)";
      });
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          className: "passage-link",
          onclick: () => viewer.open(passage.file_id, passage),
          title: "Show this passage in the parsed text",
        },
        label,
        excerpt,
      ),
    );
  }
  excerpt.textContent = passage.file_id ? "(file no longer available)" : "(text given in the conversation)";
  return el("li", {}, el("span", { className: "passage-link static" }, label, excerpt));
}
