// The note editor: sections with clickable sentences (evidence), flags, editing and review.
import * as api from "../api.js";
import { onLeave, state } from "../app.js";
import { busy, clear, field, flash, fmtDate, h, showError, table } from "../dom.js";
import { deliveryCard } from "./delivery.js";
import { entitiesCard } from "./entities.js";
import { closeLive, liveChannel, mergeView, presenceBar, updateBanner } from "./note_live.js";
import { recordPreviewCard } from "./note_record.js";
import { studiesCard } from "./note_studies.js";
import { openemrNoteCard } from "./openemr.js";
import { sourcesView } from "./sources.js";
import { transcriptView } from "./transcript.js";

const STATUS_TEXT = {
  draft: "Draft",
  in_review: "In review",
  approved: "Approved",
  rejected: "Rejected",
  signed: "Signed",
};

let detach = [];

export async function notePage(noteId) {
  const note = await api.get(`/notes/${noteId}`);
  for (const off of detach) off();
  const channel = liveChannel(noteId);
  channel.setEditing(false, note.version);
  onLeave(closeLive);
  const presence = presenceBar(channel);
  const banner = updateBanner(channel, () => note.version, () => notePage(noteId));
  detach = [presence.detach, banner.detach];
  const transcript = note.transcript_id ? await api.get(`/transcripts/${note.transcript_id}`).catch(() => null) : null;
  // A report drafted from documents cites pages, not a transcript.
  const fromDocuments = note.template === "client_health_report";
  const view = transcript ? transcriptView(transcript) : fromDocuments ? sourcesView() : null;
  const reload = () => notePage(noteId);
  const content = note.content;
  const main = document.getElementById("main");
  const noteBox = h("div", { id: "note-sections" });
  renderSections(noteBox, content, view);
  clear(main).append(
    h("p", {}, h("a", { href: `#/encounters/${note.encounter_id}` }, "← Encounter")),
    h("h1", {}, `Note (${note.template}) — version ${note.version}`),
    presence,
    banner,
    h(
      "p",
      { class: "meta" },
      h("span", { id: "note-status", class: `badge status-${note.status}` }, STATUS_TEXT[note.status] || note.status),
      note.rejected_reason ? ` · Rejected: ${note.rejected_reason}` : "",
      note.signed_at ? ` · Signed ${fmtDate(note.signed_at)}` : "",
      faithfulness(content),
    ),
    actions(note, noteBox, reload, channel),
    h(
      "div",
      { class: "columns note-layout" },
      h("section", { class: "card", "aria-labelledby": "note-title" }, h("h2", { id: "note-title" }, "Note"), h("p", { class: "hint" }, "Select a sentence to see its evidence in the transcript."), noteBox),
      h(
        "section",
        { class: "card transcript-pane", "aria-labelledby": "evidence-title" },
        h("h2", { id: "evidence-title" }, fromDocuments ? "Sources" : "Transcript"),
        view ? view.el : h("p", {}, "This note has no transcript."),
      ),
    ),
    entitiesCard(note, reload),
    fromDocuments ? "" : recordPreviewCard(note),
    studiesCard(note, reload),
    note.status === "signed" ? deliveryCard(note, reload) : "",
    note.status === "signed" || note.signed_version ? openemrNoteCard(note) : "",
    await versionsCard(note),
  );
}

function faithfulness(content) {
  const f = content.faithfulness;
  if (!f || !f.sentences) return "";
  const unsupported = f.sentences - f.supported;
  return ` · ${f.supported}/${f.sentences} sentences supported by the transcript${unsupported ? ` (${unsupported} flagged)` : ""}`;
}

// Section text with each known sentence made a button (in place, so edits keep their links).
function renderSections(box, content, view) {
  clear(box);
  for (const section of content.sections || []) {
    const body = h("p", { class: "section-text" });
    let cursor = 0;
    const text = section.text || "";
    for (const sentence of section.sentences || []) {
      const at = text.indexOf(sentence.text, cursor);
      if (at < 0) continue;
      body.append(text.slice(cursor, at));
      const flagged = (sentence.flags || []).length > 0;
      const button = h(
        "button",
        {
          type: "button",
          class: `sentence${flagged ? " flagged" : ""}`,
          "aria-pressed": "false",
          title: flagged ? `Not supported by the transcript: ${sentence.flags.join(", ")}` : `${sentence.evidence.length} evidence span(s)`,
        },
        flagged ? h("span", { class: "flag-icon", "aria-hidden": "true" }, "⚠ ") : "",
        sentence.text,
        flagged ? h("span", { class: "sr-only" }, " (flagged: not supported by the transcript)") : "",
      );
      button.addEventListener("click", () => {
        for (const other of box.querySelectorAll(".sentence[aria-pressed='true']")) other.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", "true");
        const found = view ? view.highlight(sentence.evidence) : 0;
        flash(found ? `Evidence highlighted in ${found} transcript segment(s).` : "No evidence in the transcript for this sentence.");
      });
      body.append(button);
      cursor = at + sentence.text.length;
    }
    body.append(text.slice(cursor));
    box.append(
      h(
        "section",
        { class: "note-section", dataset: { key: section.key } },
        h("h3", {}, section.title, section.edited ? h("small", { class: "edited" }, " (edited)") : ""),
        text ? body : h("p", { class: "empty" }, "(nothing documented)"),
      ),
    );
  }
}

// Saves name the version they were made on; a stale one comes back as a merge to finish.
function editor(note, box, reload, { amend, channel }) {
  channel.setEditing(true, note.version);
  const areas = new Map();
  const reason = h("input", { name: "reason", maxlength: 500, required: amend });
  const save = h("button", { type: "submit" }, amend ? "Save amendment" : "Save changes");
  const cancel = h("button", { type: "button", onclick: reload }, "Cancel");
  const form = h("form", { class: "editor" });
  for (const section of note.content.sections || []) {
    const area = h("textarea", { name: section.key, rows: Math.max(3, Math.ceil((section.text || "").length / 80)) });
    area.value = section.text || "";
    areas.set(section.key, area);
    form.append(field(section.title, area));
  }
  form.append(field(amend ? "Reason for amendment (required)" : "Reason for change (optional)", reason), h("div", { class: "row" }, save, cancel));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(save, async () => {
      const sections = {};
      for (const section of note.content.sections || []) {
        const value = areas.get(section.key).value;
        if (value !== (section.text || "")) sections[section.key] = value;
      }
      if (!Object.keys(sections).length && !amend) {
        flash("Nothing changed.");
        return reload();
      }
      const why = reason.value.trim() || null;
      const attempt = async (changed, version) => {
        try {
          await api.request(`/notes/${note.id}${amend ? "/amend" : ""}`, {
            method: amend ? "POST" : "PATCH",
            json: { sections: changed, reason: why },
            headers: { "If-Match": `"${version}"` },
          });
        } catch (error) {
          if (!(error instanceof api.ApiError) || error.code !== "version_conflict") throw error;
          showError(error); // "the note is at version N, not M; merge and save again"
          const retry = (merged, newer, button) => busy(button, () => attempt(merged, newer));
          clear(box).append(mergeView(error.body, changed, retry, reload));
          channel.setEditing(true, error.body.current_version);
          return undefined;
        }
        flash(amend ? "Amendment saved as a new version." : "Changes saved as a new version.");
        return reload();
      };
      return attempt(sections, note.version);
    });
  });
  clear(box).append(form);
  form.querySelector("textarea").focus();
}

function actions(note, box, reload, channel) {
  const bar = h("div", { class: "row actions", role: "group", "aria-label": "Note actions" });
  const act = (label, fn, cls) => {
    const b = h("button", { type: "button", class: cls || "" }, label);
    b.addEventListener("click", () => busy(b, fn));
    bar.append(b);
    return b;
  };
  const step = (verb, message) => async () => {
    await api.post(`/notes/${note.id}/${verb}`);
    flash(message);
    await reload();
  };
  const role = state.me && state.me.role;
  const s = note.status;
  if ((s === "draft" || s === "rejected") && role !== "reviewer") {
    act("Edit", () => editor(note, box, reload, { amend: false, channel }));
    // A rejected note goes back to draft when edited; only drafts can be submitted.
    if (s === "draft") act("Submit for review", step("submit", "Submitted for review."), "primary");
    else bar.append(h("span", { class: "hint" }, "Edit the note to address the rejection, then submit it again."));
  }
  if (s === "in_review" && role !== "admin") {
    act("Approve", step("approve", "Approved."), "primary");
    const reason = h("input", { name: "reject_reason", maxlength: 2000, required: true });
    const reject = h("button", { type: "submit" }, "Reject");
    const form = h("form", { class: "row" }, field("Reason for rejection", reason), reject);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(reject, async () => {
        await api.request(`/notes/${note.id}/reject`, { method: "POST", json: { reason: reason.value.trim() } });
        flash("Rejected.");
        await reload();
      });
    });
    bar.append(form);
  }
  if (s === "approved" && role !== "reviewer") act("Sign", step("sign", "Signed; delivery to the EHR is queued."), "primary");
  if (s === "signed" && role !== "reviewer") act("Amend", () => editor(note, box, reload, { amend: true, channel }));
  return bar;
}

async function versionsCard(note) {
  const versions = await api.get(`/notes/${note.id}/versions`).catch(() => []);
  const rows = versions.map((v) => [String(v.version), fmtDate(v.created_at), v.reason || "", v.diff ? h("details", {}, h("summary", {}, "Diff"), h("pre", {}, v.diff)) : ""]);
  return h("section", { class: "card" }, h("h2", {}, "Versions"), table(["Version", "When", "Reason", "Changes"], rows, "Note versions"));
}
