// Building DOM nodes from data. Strings always become text nodes: nothing here (or anywhere in the
// playground) parses data as HTML, so a document holding <script> shows as those characters.

/** An element with properties (className, type, hidden, onclick…), attributes ("aria-*", "data-*",
 * "for"), and children (nodes, strings as text, null/false skipped). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "innerHTML" || name === "outerHTML") throw new Error("el() never sets HTML");
    if (name.startsWith("aria-") || name.startsWith("data-") || name === "for" || name === "role") {
      node.setAttribute(name, String(value));
    } else if (name.startsWith("on")) {
      node.addEventListener(name.slice(2), value);
    } else {
      node[name] = value;
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node;
}

export function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

export function formatBytes(n) {
  if (n == null) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

export function formatCount(n) {
  return n == null ? "" : Number(n).toLocaleString("en");
}
