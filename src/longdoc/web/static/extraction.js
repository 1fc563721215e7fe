// Extract mode: a field list or a JSON schema → structured output → a table, JSON and CSV.

import { byId, clear, el, showError } from "./dom.js";
import { passageList } from "./passages.js";
import { cellText, download, stamp, toCsv } from "./table_export.js";
import { usageLine } from "./usage.js";

const ROLE_PROMPT =
  "You extract structured data from documents. Answer with JSON that follows the schema, " +
  "using only facts stated in the documents.";

/** The schema the playground asks for when given a field list: one object per item found. */
export function schemaOfFields(fields) {
  const properties = Object.fromEntries(fields.map((field) => [field, { type: "string" }]));
  return {
    type: "object",
    properties: { items: { type: "array", items: { type: "object", properties, required: fields } } },
    required: ["items"],
  };
}

export function parseFields(text) {
  return [...new Set(text.split(/[,\n，、]/).map((f) => f.trim()).filter(Boolean))];
}

/** The rows in an answer: its array of objects (e.g. "items"), or the answer itself as one row. */
export function rowsOf(value) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") {
    if (Array.isArray(value.items)) return value.items;
    const list = Object.values(value).find((v) => Array.isArray(v) && v.every((x) => x && typeof x === "object"));
    return list || [value];
  }
  return [value];
}

export function columnsOf(rows, fields) {
  if (fields && fields.length) return fields;
  const seen = new Set();
  for (const row of rows) {
    if (row && typeof row === "object" && !Array.isArray(row)) {
      for (const key of Object.keys(row)) if (key !== "_source") seen.add(key);
    }
  }
  return seen.size ? [...seen] : ["value"];
}

/** Where a cell came from: grounding entries (x_grounding's _source) for the item or field. */
function groundingOf(row, column) {
  const source = row && typeof row === "object" ? row._source : undefined;
  if (source === undefined || source === null) return [];
  if (Array.isArray(source)) {
    const own = source.filter((s) => s && typeof s === "object" && (s.field === column || s.key === column));
    return own.length ? own : source;
  }
  if (typeof source === "object" && column in source) {
    const own = source[column];
    return Array.isArray(own) ? own : [own];
  }
  return [source];
}

export class ExtractPanel {
  constructor(session, viewer) {
    this.session = session;
    this.viewer = viewer;
    this.form = byId("extract-form");
    this.fields = byId("fields");
    this.schema = byId("schema");
    this.instructions = byId("instructions");
    this.status = byId("extract-status");
    this.error = byId("extract-error");
    this.result = byId("extract-result");
    this.table = byId("result-table");
    this.cellSource = byId("cell-source");
    this.button = byId("extract-button");
    this.stopButton = byId("extract-stop");
    this.controller = null;
    this.answer = null; // {value, columns, rows}

    for (const radio of document.querySelectorAll('input[name="schema-kind"]')) {
      radio.addEventListener("change", () => this.showKind());
    }
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    this.stopButton.addEventListener("click", () => this.controller?.abort());
    byId("download-json").addEventListener("click", () =>
      download(`extraction-${stamp()}.json`, "application/json", `${JSON.stringify(this.answer.value, null, 2)}\n`),
    );
    byId("download-csv").addEventListener("click", () =>
      download(`extraction-${stamp()}.csv`, "text/csv;charset=utf-8", toCsv(this.answer.columns, this.answer.rows)),
    );
    this.schema.placeholder = JSON.stringify(schemaOfFields(["name", "price"]), null, 2);
  }

  kind() {
    return document.querySelector('input[name="schema-kind"]:checked').value;
  }

  showKind() {
    byId("fields-box").hidden = this.kind() !== "fields";
    byId("schema-box").hidden = this.kind() !== "json";
  }

  /** {schema, fields, request text}, or throws an Error saying what to fix. */
  spec() {
    const note = this.instructions.value.trim();
    if (this.kind() === "fields") {
      const fields = parseFields(this.fields.value);
      if (!fields.length) throw new Error("Enter at least one field name.");
      const prompt = `Extract every item in the documents with these fields: ${fields.join(", ")}.`;
      return { schema: schemaOfFields(fields), fields, prompt: note ? `${prompt}\n${note}` : prompt };
    }
    let schema;
    try {
      schema = JSON.parse(this.schema.value);
    } catch (error) {
      throw new Error(`The JSON schema is not valid JSON: ${error.message}`);
    }
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) throw new Error("The JSON schema must be an object.");
    const prompt = "Extract the data the JSON schema describes from the documents.";
    return { schema, fields: null, prompt: note ? `${prompt}\n${note}` : prompt };
  }

  async run() {
    if (!this.session.api) {
      byId("api-key").focus();
      return;
    }
    if (this.controller) return;
    showError(this.error, "");
    let spec;
    try {
      spec = this.spec();
    } catch (error) {
      showError(this.error, error.message);
      return;
    }
    if (!this.session.chosenFiles().length) {
      showError(this.error, "Choose at least one processed document to extract from.");
      return;
    }
    const model = this.session.model;
    const body = {
      model,
      messages: [
        { role: "system", content: ROLE_PROMPT },
        ...this.session.documentMessages(),
        { role: "user", content: spec.prompt },
      ],
      response_format: { type: "json_schema", json_schema: { name: "extraction", schema: spec.schema, strict: true } },
      x_grounding: true, // servers that ground extractions answer _source per item; others ignore it
    };
    this.busy(true);
    this.status.textContent = "Extracting…";
    let received = 0;
    try {
      const result = await this.session.api.streamChat(
        body,
        (piece) => {
          received += piece.length;
          this.status.textContent = `Receiving… ${received.toLocaleString("en")} characters`;
        },
        this.controller.signal,
      );
      let value;
      try {
        value = JSON.parse(result.text);
      } catch {
        throw new Error(`The model's answer is not JSON: ${result.text.slice(0, 200)}`);
      }
      const rows = rowsOf(value);
      const columns = columnsOf(rows, spec.fields);
      this.answer = { value, rows, columns, context: result.context };
      this.render(result, model);
      this.status.textContent = `${rows.length} item${rows.length === 1 ? "" : "s"} extracted.`;
    } catch (error) {
      this.status.textContent = "";
      showError(this.error, error.name === "AbortError" ? "Stopped." : `Extraction failed: ${error.message}`);
    } finally {
      this.busy(false);
    }
  }

  busy(on) {
    this.controller = on ? new AbortController() : null;
    this.button.disabled = on;
    this.stopButton.disabled = !on;
  }

  render(result, model) {
    const { rows, columns, context } = this.answer;
    this.result.hidden = false;
    const head = this.table.tHead;
    const body = this.table.tBodies[0];
    clear(head).append(el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c))));
    clear(body);
    for (const row of rows) {
      const record = row && typeof row === "object" && !Array.isArray(row) ? row : { value: row };
      body.append(el("tr", {}, columns.map((column) => this.cell(record, column, context))));
    }
    if (!rows.length) body.append(el("tr", {}, el("td", { colSpan: columns.length }, "Nothing found.")));
    this.cellSource.textContent = "";
    byId("extract-usage").replaceChildren(usageLine(this.session, result.usage, model, result.finishReason));
    const passages = passageList(this.session, this.viewer, context);
    byId("extract-passages").replaceChildren(...(passages ? [passages] : []));
  }

  cell(record, column, context) {
    const grounding = groundingOf(record, column);
    const located = grounding.find((g) => g && typeof g === "object" && g.file_id && g.start != null);
    const description = grounding.length ? this.describeGrounding(grounding) : this.describeRead(context);
    const show = () => {
      this.cellSource.textContent = `${column}: ${description}`;
    };
    return el(
      "td",
      {
        tabIndex: 0,
        title: description,
        className: located ? "grounded" : "",
        onmouseenter: show,
        onfocus: show,
        onclick: () => located && this.viewer.open(located.file_id, located),
        onkeydown: (event) => {
          if (event.key === "Enter" && located) this.viewer.open(located.file_id, located);
        },
      },
      cellText(record[column]),
    );
  }

  describeGrounding(entries) {
    return entries
      .map((entry) => {
        if (typeof entry !== "object" || entry === null) return cellText(entry);
        const name = entry.file_id ? this.session.fileName(entry.file_id) : entry.document;
        const quote = entry.text || entry.quote || entry.snippet;
        return [name, entry.page != null ? `page ${entry.page}` : null, quote && `“${quote}”`]
          .filter(Boolean)
          .join(" · ");
      })
      .join("; ");
  }

  describeRead(context) {
    const passages = (context && context.passages) || [];
    if (!passages.length) return "no source reported";
    const places = passages.map((p) => {
      const name = p.file_id ? this.session.fileName(p.file_id) : p.document;
      return p.page != null ? `${name} (page ${p.page})` : name;
    });
    return `read from ${[...new Set(places)].join(", ")}`;
  }
}
