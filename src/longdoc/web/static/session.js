// What the page knows: the API client, the user's files, which are chosen, the models and prices.
// Panels listen for "files" and "selection" events instead of reaching into each other.

import { Api } from "./api.js";

const KEY_STORAGE = "longdoc.apiKey";
const MODEL_STORAGE = "longdoc.model";

export class Session extends EventTarget {
  constructor() {
    super();
    this.api = null;
    this.files = new Map(); // id → file object (server fields, plus local ones while uploading)
    this.selected = new Set(); // ids chosen for questions and extraction
    this.models = new Map(); // id → model object (with x_pricing when the server gives it)
    this.model = localStorage.getItem(MODEL_STORAGE) || "qwen-long";
    this.parsed = new Map(); // id → Promise of the parsed Document JSON
  }

  get storedKey() {
    return localStorage.getItem(KEY_STORAGE) || "";
  }

  useKey(key) {
    this.api = key ? new Api(key) : null;
    this.selected.clear();
  }

  /** Keep the key in this browser for the next visit (or, given none, forget it). */
  rememberKey(key) {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  }

  chooseModel(id) {
    this.model = id;
    localStorage.setItem(MODEL_STORAGE, id);
    this.emit("selection");
  }

  emit(kind) {
    this.dispatchEvent(new Event(kind));
  }

  setFile(file) {
    this.files.set(file.id, file);
    this.emit("files");
  }

  /** Put `file` where the entry `id` was (an upload's placeholder keeps its place in the list). */
  replaceFile(id, file) {
    if (!this.files.has(id)) return this.setFile(file);
    this.files = new Map([...this.files].map(([key, value]) => (key === id ? [file.id, file] : [key, value])));
    this.emit("files");
  }

  removeFile(id) {
    this.files.delete(id);
    this.parsed.delete(id);
    if (this.selected.delete(id)) this.emit("selection");
    this.emit("files");
  }

  toggle(id, on) {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.emit("selection");
  }

  /** The chosen files that can be read now, in upload order. */
  chosenFiles() {
    return [...this.files.values()].filter((f) => this.selected.has(f.id) && f.status === "processed");
  }

  fileName(id) {
    const file = this.files.get(id);
    return file ? file.filename : id;
  }

  parsedDocument(id) {
    if (!this.parsed.has(id)) {
      const pending = this.api.parsed(id);
      pending.catch(() => this.parsed.delete(id)); // a failure is not cached
      this.parsed.set(id, pending);
    }
    return this.parsed.get(id);
  }

  /** The price of an answer at the model's list price, or null if the server gives none. */
  cost(usage, model = this.model) {
    const pricing = this.models.get(model)?.x_pricing;
    if (!pricing || !usage) return null;
    const amount =
      (usage.prompt_tokens * pricing.input_per_million + usage.completion_tokens * pricing.output_per_million) /
      1_000_000;
    return { amount, currency: pricing.currency };
  }

  /** The messages that put the chosen files in front of the model. */
  documentMessages() {
    const ids = this.chosenFiles().map((f) => f.id);
    return ids.length ? [{ role: "system", content: ids.map((id) => `fileid://${id}`).join(",") }] : [];
  }
}
