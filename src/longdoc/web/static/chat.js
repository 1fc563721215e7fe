// Ask mode: a conversation over the chosen files, each answer streamed in as it is written.

import { byId, el } from "./dom.js";
import { linkCitations, passageList } from "./passages.js";
import { usageLine } from "./usage.js";

const ROLE_PROMPT = "You are a helpful assistant.";

export class AskPanel {
  constructor(session, viewer) {
    this.session = session;
    this.viewer = viewer;
    this.form = byId("ask-form");
    this.question = byId("question");
    this.transcript = byId("transcript");
    this.askButton = byId("ask-button");
    this.stopButton = byId("stop-button");
    this.history = []; // {role, content} of finished turns
    this.controller = null;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    this.question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.ask();
      }
    });
    this.stopButton.addEventListener("click", () => this.controller?.abort());
    byId("new-conversation").addEventListener("click", () => {
      this.controller?.abort();
      this.history = [];
      this.transcript.replaceChildren();
      this.question.focus();
    });
  }

  async ask() {
    const question = this.question.value.trim();
    if (!this.session.api) {
      byId("api-key").focus();
      return;
    }
    if (!question || this.controller) return;
    const model = this.session.model;
    const answer = el("div", { className: "answer-text", "aria-live": "polite", "aria-busy": "true" });
    const status = el("p", { className: "hint answer-status", role: "status" }, "Waiting for the model…");
    const turn = el(
      "article",
      { className: "turn" },
      el("p", { className: "question" }, el("span", { className: "who" }, "You"), question),
      el("div", { className: "answer" }, el("span", { className: "who" }, "longdoc"), answer, status),
    );
    this.transcript.append(turn);
    turn.scrollIntoView({ block: "nearest" });

    const messages = [
      { role: "system", content: ROLE_PROMPT },
      ...this.session.documentMessages(),
      ...this.history,
      { role: "user", content: question },
    ];
    this.busy(true);
    try {
      let started = false;
      const onText = (piece) => {
        if (!started) status.textContent = "Writing…";
        started = true;
        answer.append(piece); // a text node: the model's words are never read as HTML
      };
      const result = await this.session.api.streamChat({ model, messages }, onText, this.controller.signal);
      answer.normalize();
      status.remove();
      answer.setAttribute("aria-busy", "false");
      this.history.push({ role: "user", content: question }, { role: "assistant", content: result.text });
      turn.append(usageLine(this.session, result.usage, model, result.finishReason));
      linkCitations(answer, this.session, this.viewer, result.context);
      const passages = passageList(this.session, this.viewer, result.context);
      if (passages) turn.append(passages);
      this.question.value = "";
    } catch (error) {
      answer.setAttribute("aria-busy", "false");
      status.className = error.name === "AbortError" ? "hint answer-status" : "error answer-status";
      status.setAttribute("role", "alert");
      status.textContent = error.name === "AbortError" ? "Stopped." : `Error: ${error.message}`;
    } finally {
      this.busy(false);
    }
  }

  busy(on) {
    this.controller = on ? new AbortController() : null;
    this.askButton.disabled = on;
    this.stopButton.disabled = !on;
  }
}
