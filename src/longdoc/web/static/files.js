// The documents panel: drop or choose files, watch each one parse, choose, view, delete.

import { byId, clear, el, formatBytes, formatCount, showError } from "./dom.js";

const POLL_MS = 1000;
const CONFIRM_MS = 6000; // a Delete not confirmed within this time goes back to plain Delete
const STATUS_TEXT = {
  uploading: "uploading…",
  uploaded: "parsing…",
  processed: "processed",
  error: "error",
};

export class FilesPanel {
  constructor(session, viewer) {
    this.session = session;
    this.viewer = viewer;
    this.list = byId("file-list");
    this.empty = byId("files-empty");
    this.error = byId("files-error");
    this.announcer = byId("files-announcer");
    this.input = byId("file-input");
    this.zone = byId("drop-zone");
    this.pollTimer = null;
    this.confirming = null; // id of the file whose Delete awaits a second press
    this.localCount = 0;

    this.input.addEventListener("change", () => {
      this.upload([...this.input.files]);
      this.input.value = "";
    });
    for (const kind of ["dragenter", "dragover"]) {
      this.zone.addEventListener(kind, (event) => {
        event.preventDefault();
        this.zone.classList.add("dragging");
      });
    }
    for (const kind of ["dragleave", "drop"]) {
      this.zone.addEventListener(kind, () => this.zone.classList.remove("dragging"));
    }
    this.zone.addEventListener("drop", (event) => {
      event.preventDefault();
      this.upload([...event.dataTransfer.files]);
    });
    session.addEventListener("files", () => this.render());
    session.addEventListener("selection", () => this.render());
  }

  async load() {
    showError(this.error, "");
    try {
      const files = await this.session.api.listFiles();
      this.session.files.clear();
      for (const file of files.reverse()) this.session.files.set(file.id, file); // oldest first
      this.session.emit("files");
      this.poll();
    } catch (error) {
      showError(this.error, `Could not list files: ${error.message}`);
    }
  }

  async upload(files) {
    if (!this.session.api || !files.length) return;
    showError(this.error, "");
    await Promise.all(files.map((file) => this.uploadOne(file)));
  }

  async uploadOne(file) {
    this.localCount += 1;
    const localId = `local-${this.localCount}`;
    this.session.setFile({ id: localId, filename: file.name, bytes: file.size, status: "uploading", local: true });
    try {
      const created = await this.session.api.upload(file);
      this.session.selected.add(created.id); // a fresh upload is meant to be asked about
      this.session.replaceFile(localId, created);
      this.session.emit("selection");
      this.announce(`${created.filename} uploaded, parsing`);
      this.poll();
    } catch (error) {
      this.session.setFile({
        id: localId,
        filename: file.name,
        bytes: file.size,
        status: "error",
        status_details: `upload failed: ${error.message}`,
        local: true,
      });
      this.announce(`${file.name} failed to upload: ${error.message}`);
    }
  }

  poll() {
    if (this.pollTimer) return;
    const pending = () => [...this.session.files.values()].filter((f) => f.status === "uploaded" && !f.local);
    const tick = async () => {
      this.pollTimer = null;
      const waiting = pending();
      try {
        // a few files: ask after each; many: one listing instead of a request per file
        const listing = waiting.length > 3;
        const fresh = listing
          ? await this.session.api.listFiles()
          : await Promise.all(waiting.map((f) => this.session.api.file(f.id).catch((e) => this.gone(f, e))));
        const byId = new Map(fresh.filter(Boolean).map((f) => [f.id, f]));
        for (const file of waiting) {
          const now = byId.get(file.id);
          if (now && this.session.files.has(file.id)) this.update(file, now);
          else if (listing) this.session.removeFile(file.id); // deleted elsewhere
        }
      } catch (error) {
        if (error.status === 401) return; // the key no longer works: stop asking
      }
      if (pending().length) this.pollTimer = setTimeout(tick, POLL_MS);
    };
    this.pollTimer = setTimeout(tick, POLL_MS / 4);
  }

  gone(file, error) {
    if (error.status === 404) this.session.removeFile(file.id);
    else if (error.status === 401) throw error;
    return null;
  }

  update(file, fresh) {
    if (fresh.status !== file.status) {
      const detail = fresh.status === "error" ? `: ${fresh.status_details || "unknown reason"}` : "";
      this.announce(`${fresh.filename} ${STATUS_TEXT[fresh.status] || fresh.status}${detail}`);
    }
    this.session.setFile(fresh);
    if (fresh.status === "processed" && this.session.selected.has(fresh.id)) this.session.emit("selection");
  }

  announce(message) {
    this.announcer.textContent = message;
  }

  async remove(file) {
    if (this.confirming !== file.id) {
      this.confirming = file.id;
      this.render();
      setTimeout(() => this.cancelConfirm(file.id), CONFIRM_MS);
      return;
    }
    this.confirming = null;
    try {
      if (!file.local) await this.session.api.deleteFile(file.id);
      this.session.removeFile(file.id);
      this.viewer.forget(file.id);
      this.announce(`${file.filename} deleted`);
    } catch (error) {
      showError(this.error, `Could not delete ${file.filename}: ${error.message}`);
      this.render();
    }
  }

  render() {
    // Rebuilt on every change; focus is carried over so keyboard users do not lose their place.
    const active = document.activeElement;
    const focused = this.list.contains(active)
      ? { id: active.closest("li")?.dataset.fileId, action: active.dataset.action }
      : null;
    const files = [...this.session.files.values()];
    this.empty.hidden = files.length > 0;
    clear(this.list);
    for (const file of files) this.list.append(this.item(file));
    if (focused) {
      const item = [...this.list.children].find((li) => li.dataset.fileId === focused.id);
      item?.querySelector(`[data-action="${focused.action}"]`)?.focus();
    }
  }

  item(file) {
    const ready = file.status === "processed";
    const boxId = `choose-${file.id}`;
    const facts = [
      formatBytes(file.bytes),
      file.x_pages != null ? `${formatCount(file.x_pages)} page${file.x_pages === 1 ? "" : "s"}` : null,
      file.x_tokens != null ? `${formatCount(file.x_tokens)} tokens` : null,
    ].filter(Boolean);
    const confirming = this.confirming === file.id;
    return el(
      "li",
      { className: `file status-${file.status}`, "data-file-id": file.id },
      el(
        "div",
        { className: "file-head" },
        el("input", {
          type: "checkbox",
          id: boxId,
          checked: this.session.selected.has(file.id),
          disabled: !ready,
          "data-action": "choose",
          onchange: (event) => this.session.toggle(file.id, event.target.checked),
        }),
        el("label", { for: boxId, className: "file-name" }, file.filename),
      ),
      el(
        "p",
        { className: "file-meta" },
        el("span", { className: "badge", "data-status": file.status }, STATUS_TEXT[file.status] || file.status),
        facts.length ? ` ${facts.join(" · ")}` : "",
      ),
      file.status === "error" && el("p", { className: "file-error" }, file.status_details || "unknown reason"),
      el(
        "div",
        { className: "file-actions" },
        ready &&
          el(
            "button",
            {
              type: "button",
              "data-action": "view",
              onclick: () => this.viewer.open(file.id),
              "aria-label": `View the text of ${file.filename}`,
            },
            "View text",
          ),
        file.status !== "uploading" &&
          el(
            "button",
            {
              type: "button",
              className: confirming ? "danger" : "",
              "data-confirm": confirming ? file.id : null,
              "data-action": "delete",
              onclick: () => this.remove(file),
              "aria-label": confirming ? `Really delete ${file.filename}?` : `Delete ${file.filename}`,
            },
            confirming ? "Really delete?" : "Delete",
          ),
      ),
    );
  }

  cancelConfirm(id) {
    if (this.confirming === id) {
      this.confirming = null;
      this.render();
    }
  }
}
