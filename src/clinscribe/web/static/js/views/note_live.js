// A note's live channel in the editor: who else is on the note (and editing which version),
// a banner when someone saves a newer version, and the merge offered when a save is stale.
import * as api from "../api.js";
import { clear, h } from "../dom.js";

// Closes that mean "do not try again": bad token for good, no such note, not allowed.
const FINAL = new Set([4403, 4404]);
let current = null; // the open channel; kept across re-renders of the same note

// The channel for this note (the open one if it is already this note's).
export function liveChannel(noteId) {
  if (current && current.noteId === noteId && !current.closed) return current;
  if (current) current.close();
  current = new LiveChannel(noteId);
  current.connect();
  return current;
}

export function closeLive() {
  if (current) current.close();
  current = null;
}

class LiveChannel {
  constructor(noteId) {
    this.noteId = noteId;
    this.me = null;
    this.people = new Map(); // connection → participant
    this.closed = false;
    this.retries = 0;
    this.editing = { editing: false, version: null };
    this.listeners = { presence: new Set(), updated: new Set() };
  }

  on(kind, fn) {
    this.listeners[kind].add(fn);
    return () => this.listeners[kind].delete(fn);
  }

  emit(kind, payload) {
    for (const fn of this.listeners[kind]) fn(payload);
  }

  async connect() {
    let token;
    try {
      token = (await api.post(`/notes/${this.noteId}/live/tokens`)).token;
    } catch {
      return this.retry();
    }
    if (this.closed) return undefined;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/notes/${this.noteId}/live?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.addEventListener("message", (event) => this.message(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => {
      clearInterval(this.beat);
      if (this.ws !== ws || this.closed) return;
      this.people.clear();
      this.emit("presence", this.others());
      if (!FINAL.has(event.code)) this.retry();
    });
    return undefined;
  }

  retry() {
    if (this.closed) return;
    this.retries += 1;
    setTimeout(() => this.connect(), Math.min(30_000, 1000 * 2 ** Math.min(this.retries, 5)));
  }

  message(msg) {
    if (msg.type === "welcome") {
      this.me = msg.connection;
      this.retries = 0;
      this.people = new Map(msg.participants.map((p) => [p.connection, p]));
      clearInterval(this.beat);
      this.beat = setInterval(() => this.send({ type: "heartbeat" }), msg.heartbeat_seconds * 1000);
      if (this.editing.editing) this.send({ type: "editing", ...this.editing });
    } else if (msg.type === "joined" || msg.type === "presence") {
      this.people.set(msg.participant.connection, msg.participant);
    } else if (msg.type === "left") {
      this.people.delete(msg.connection);
    } else if (msg.type === "updated") {
      this.emit("updated", msg);
      return;
    } else {
      return;
    }
    this.emit("presence", this.others());
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  setEditing(editing, version) {
    this.editing = { editing, version: version || null };
    this.send({ type: "editing", ...this.editing });
  }

  others() {
    return [...this.people.values()].filter((p) => p.connection !== this.me);
  }

  close() {
    this.closed = true;
    clearInterval(this.beat);
    if (this.ws) this.ws.close(1000);
  }
}

// "Also here: …" with each person's initials, name, role and an editing marker.
export function presenceBar(channel) {
  const list = h("ul", { class: "presence-list", "aria-label": "Others on this note" });
  const bar = h("div", { id: "note-presence", class: "presence", role: "status" }, h("span", { class: "hint" }, "Also on this note: "), list);
  const render = (others) => {
    clear(list);
    if (!others.length) list.append(h("li", { class: "hint" }, "nobody else"));
    for (const p of others) {
      const initials = p.name.split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
      list.append(
        h(
          "li",
          { class: `person${p.editing ? " editing" : ""}`, dataset: { connection: p.connection } },
          h("span", { class: "avatar", "aria-hidden": "true" }, initials),
          h("span", { class: "person-name" }, p.name),
          h("span", { class: "hint" }, ` (${p.role})`),
          p.editing ? h("span", { class: "badge editing-marker" }, `editing v${p.version}`) : "",
        ),
      );
    }
  };
  render(channel.others());
  const off = channel.on("presence", render);
  bar.detach = off;
  return bar;
}

// A banner once someone else saves a version newer than the one on screen.
export function updateBanner(channel, shownVersion, reload) {
  const banner = h("div", { id: "note-banner", class: "notice", role: "alert", hidden: true });
  const off = channel.on("updated", (msg) => {
    if (msg.version <= shownVersion()) return;
    const names = msg.sections.length ? ` (changed: ${msg.sections.join(", ")})` : "";
    clear(banner).append(
      `${msg.by.name} saved version ${msg.version}${names}. `,
      h("button", { type: "button", onclick: reload }, "Show the new version"),
    );
    banner.hidden = false;
  });
  banner.detach = off;
  return banner;
}

// The merge of a refused (stale) save: per section both sides changed, theirs and mine side by
// side, with "keep mine", "take theirs" and a combined edit; `save(sections, version)` retries.
export function mergeView(conflict, mine, save, cancel) {
  const theirs = new Map(conflict.sections.map((s) => [s.key, s]));
  const combined = new Map();
  const form = h("form", { class: "merge", id: "note-merge", "aria-labelledby": "merge-title" });
  form.append(
    h("h3", { id: "merge-title" }, `Version ${conflict.current_version} was saved while you edited`),
    h("p", { class: "hint" }, "Choose, section by section, what the note should say; then save against the new version."),
  );
  for (const [key, text] of Object.entries(mine)) {
    const other = theirs.get(key);
    if (!other || other.current === text) continue; // only I changed it (or we agree): mine stands
    const area = h("textarea", { id: `merged-${key}`, name: `merged-${key}`, rows: 5 });
    area.value = text;
    combined.set(key, area);
    form.append(
      h(
        "section",
        { class: "merge-section", dataset: { key } },
        h("h4", {}, other.title),
        h(
          "div",
          { class: "columns three" },
          h("div", {}, h("strong", {}, `Theirs (version ${conflict.current_version})`), h("pre", { class: "theirs" }, other.current)),
          h("div", {}, h("strong", {}, "Mine"), h("pre", { class: "mine" }, text)),
          h("div", {}, h("label", { for: area.id }, `Combined ${other.title}`), area),
        ),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", onclick: () => (area.value = text) }, `Keep mine (${other.title})`),
          h("button", { type: "button", onclick: () => (area.value = other.current) }, `Take theirs (${other.title})`),
        ),
        other.diff ? h("details", {}, h("summary", {}, "What changed in their version"), h("pre", {}, other.diff)) : "",
      ),
    );
  }
  const submit = h("button", { type: "submit", class: "primary" }, "Save merged version");
  form.append(h("div", { class: "row" }, submit, h("button", { type: "button", onclick: cancel }, "Discard my changes")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const sections = { ...mine };
    for (const [key, area] of combined) sections[key] = area.value;
    save(sections, conflict.current_version, submit);
  });
  return form;
}
