// "What the answer read": the passages of x_context, each a button that opens it in the viewer.

import { el } from "./dom.js";
import { snippet } from "./viewer.js";

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
    { className: "passages", open: true },
    el("summary", {}, `Passages read (${passages.length}) — ${describePlan(context)}`),
    el("ol", {}, items),
  );
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
