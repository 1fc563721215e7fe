// The public API, as any client sees it: bearer key, JSON, OpenAI error envelopes, SSE streams.

import { serverSentEvents } from "./sse.js";

// The API lives beside the page: /playground/static/api.js → /v1/ (also behind a path prefix).
const API_ROOT = new URL("../../v1/", import.meta.url);

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`;
  let code = null;
  try {
    const body = await response.json();
    const error = body.error || body;
    if (error.message) message = error.message;
    code = error.code || null;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, response.status, code);
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  url(path) {
    return new URL(path.replace(/^\//, ""), API_ROOT);
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.key}`, ...extra };
  }

  async request(method, path, body) {
    const init = { method, headers: this.headers() };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(this.url(path), init);
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  models() {
    return this.request("GET", "models");
  }

  async listFiles() {
    const files = [];
    let after = null;
    for (;;) {
      const query = new URLSearchParams({ limit: "100", purpose: "file-extract" });
      if (after) query.set("after", after);
      const page = await this.request("GET", `files?${query}`);
      files.push(...page.data);
      if (!page.has_more || !page.data.length) return files;
      after = page.last_id || page.data[page.data.length - 1].id;
    }
  }

  file(id) {
    return this.request("GET", `files/${encodeURIComponent(id)}`);
  }

  deleteFile(id) {
    return this.request("DELETE", `files/${encodeURIComponent(id)}`);
  }

  parsed(id) {
    return this.request("GET", `files/${encodeURIComponent(id)}/parsed?format=json`);
  }

  async upload(file) {
    const form = new FormData();
    form.append("purpose", "file-extract");
    form.append("file", file, file.name);
    const response = await fetch(this.url("files"), { method: "POST", headers: this.headers(), body: form });
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  /** Stream a chat completion. onText(piece) gets each piece of the answer as it arrives.
   * Resolves to {text, finishReason, context, usage}; rejects with ApiError (or AbortError). */
  async streamChat(body, onText, signal) {
    const response = await fetch(this.url("chat/completions"), {
      method: "POST",
      headers: this.headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      signal,
    });
    if (!response.ok) throw await errorOf(response);
    const result = { text: "", finishReason: null, context: null, usage: null };
    for await (const data of serverSentEvents(response.body)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new ApiError(chunk.error.message || "the answer failed", 500, chunk.error.code);
      if (chunk.usage) result.usage = chunk.usage;
      if (chunk.x_context) result.context = chunk.x_context;
      for (const choice of chunk.choices || []) {
        const piece = choice.delta && choice.delta.content;
        if (piece) {
          result.text += piece;
          onText(piece);
        }
        if (choice.finish_reason) result.finishReason = choice.finish_reason;
      }
    }
    return result;
  }
}
