// The playground's entry point: the key, the models, the two modes, and the panels wired together.

import { AskPanel } from "./chat.js";
import { byId, el } from "./dom.js";
import { ExtractPanel } from "./extraction.js";
import { FilesPanel } from "./files.js";
import { Session } from "./session.js";
import { Viewer } from "./viewer.js";

const session = new Session();
const viewer = new Viewer(session);
const files = new FilesPanel(session, viewer);
new AskPanel(session, viewer);
new ExtractPanel(session, viewer);

const keyInput = byId("api-key");
const keyState = byId("key-state");
const keyHelp = byId("key-help");
const modelSelect = byId("model");

async function connect(key) {
  session.useKey(key);
  session.files.clear();
  session.emit("files");
  keyHelp.hidden = Boolean(key);
  if (!key) {
    session.rememberKey("");
    keyState.textContent = "Enter your API key to start.";
    return;
  }
  keyState.textContent = "Checking the key…";
  try {
    const models = await session.api.models();
    session.models = new Map(models.data.map((m) => [m.id, m]));
    fillModels();
    session.rememberKey(key); // only once the server has accepted it
    keyState.textContent = "Key accepted.";
    await files.load();
  } catch (error) {
    if (error.status === 401) {
      session.rememberKey("");
      keyState.textContent = `This key was refused: ${error.message}`;
    } else {
      keyState.textContent = `Cannot reach the API: ${error.message}`;
    }
    keyHelp.hidden = false;
  }
}

function fillModels() {
  const names = [...session.models.keys()];
  if (!names.includes(session.model) && names.length) session.chooseModel(names[0]);
  modelSelect.replaceChildren(
    ...names.map((name) => el("option", { value: name, selected: name === session.model }, name)),
  );
}

function updateSelectionNote() {
  const chosen = session.chosenFiles();
  const note = byId("selection-note");
  if (!chosen.length) {
    note.textContent = "No documents chosen: tick processed documents on the left to ask about them.";
  } else {
    const names = chosen.map((f) => f.filename).join(", ");
    note.textContent = `Asking about ${chosen.length} document${chosen.length === 1 ? "" : "s"}: ${names}`;
  }
}

function showMode() {
  const extracting = byId("mode-extract").checked;
  byId("ask-mode").hidden = extracting;
  byId("extract-mode").hidden = !extracting;
}

byId("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  connect(keyInput.value.trim());
});
byId("forget-key").addEventListener("click", () => {
  keyInput.value = "";
  connect("");
  keyInput.focus();
});
modelSelect.addEventListener("change", () => session.chooseModel(modelSelect.value));
for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", showMode);
session.addEventListener("selection", updateSelectionNote);
session.addEventListener("files", updateSelectionNote);

keyInput.value = session.storedKey;
showMode();
updateSelectionNote();
connect(session.storedKey);
if (!session.storedKey) keyInput.focus();
