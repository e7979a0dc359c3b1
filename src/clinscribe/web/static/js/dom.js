// Small DOM helpers: elements are built from text nodes only (never parsed from markup).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let fieldSeq = 0;

// A labelled form control; returns the wrapper (the control is `.control`).
export function field(label, control, hint) {
  fieldSeq += 1;
  control.id = control.id || `f${fieldSeq}`;
  const wrap = h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  if (hint) {
    const hintEl = h("small", { id: `${control.id}-hint`, class: "hint" }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    wrap.append(hintEl);
  }
  wrap.control = control;
  return wrap;
}

export function select(name, options, value) {
  const el = h("select", { name });
  for (const opt of options) {
    const [val, text] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value: val, selected: val === value }, text));
  }
  return el;
}

export function flash(message) {
  const el = document.getElementById("flash");
  el.textContent = message;
}

export function showError(error) {
  const el = document.getElementById("alert");
  el.textContent = error ? describe(error) : "";
  if (error) el.scrollIntoView({ block: "nearest" });
}

export function describe(error) {
  if (error && error.detail) return `${error.detail}`;
  return error && error.message ? error.message : String(error);
}

export function fmtDate(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

export function table(headers, rows, caption) {
  return h(
    "table",
    {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))),
  );
}

// Run an async action from a button, disabling it meanwhile and reporting errors.
export async function busy(button, action) {
  showError(null);
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
