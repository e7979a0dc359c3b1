// The note's imaging: the patient's available studies with an attach button, and the attached
// ones with a preview of their first image and the sentence of the note that mentions them.
import * as api from "../api.js";
import { clear, fmtDate, h } from "../dom.js";

function label(s) {
  const when = s.started_at ? fmtDate(s.started_at) : "undated";
  return `${s.modalities.join("/") || "?"}${s.body_part ? ` ${s.body_part.toLowerCase()}` : ""} — ${when} (${s.instance_count} images)`;
}

function mentionText(note, s) {
  const m = s.mention;
  if (!m) return "";
  const section = note.content.sections.find((x) => x.key === m.section);
  return section ? ` · mentioned: “${section.text.slice(m.begin, m.end)}”` : "";
}

async function preview(holder, study) {
  // The page's CSP allows no blob: images, so the PNG is drawn onto a canvas.
  const tree = await api.get(`/studies/${study.id}`);
  const first = tree.series.flatMap((s) => s.instances).find((i) => i.preview_url);
  if (!first) return clear(holder).append(h("p", { class: "empty" }, "No previewable image in this study."));
  const bitmap = await createImageBitmap(new Blob([await api.bytes(first.preview_url)], { type: "image/png" }));
  const canvas = h("canvas", { class: "study-preview", width: bitmap.width, height: bitmap.height, role: "img", "aria-label": `Preview of ${label(study)}` });
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  clear(holder).append(canvas);
}

function attachedItem(note, s, reload, editable) {
  const holder = h("div", { class: "study-preview-box" });
  return h(
    "li",
    { dataset: { study: s.id } },
    h("a", { href: "#", class: "study-link", onclick: (e) => (e.preventDefault(), preview(holder, s).catch((err) => clear(holder).append(h("p", { class: "empty" }, err.detail || err.message)))) }, label(s)),
    h("small", { class: "meta" }, mentionText(note, s)),
    editable ? h("button", { type: "button", class: "secondary", onclick: () => api.del(`/notes/${note.id}/studies/${s.id}`).then(reload) }, "Detach") : "",
    holder,
  );
}

export function studiesCard(note, reload) {
  const box = h("section", { class: "card", id: "note-studies", "aria-labelledby": "note-studies-title" }, h("h2", { id: "note-studies-title" }, "Imaging"), h("p", {}, "Loading…"));
  const editable = note.status !== "signed";
  api
    .get(`/encounters/${note.encounter_id}`)
    .then((encounter) => api.get(`/patients/${encounter.patient_id}/studies`, { status: "available" }))
    .then((studies) => {
      const attached = new Set(note.studies.map((s) => s.id));
      const free = studies.filter((s) => !attached.has(s.id));
      clear(box).append(
        h("h2", { id: "note-studies-title" }, "Imaging"),
        note.studies.length ? h("ul", { class: "plain", id: "attached-studies" }, note.studies.map((s) => attachedItem(note, s, reload, editable))) : h("p", { class: "empty" }, "No study is attached to this note."),
        editable && free.length
          ? h("ul", { class: "plain", id: "available-studies" }, free.map((s) => h("li", {}, label(s), " ", h("button", { type: "button", onclick: () => api.post(`/notes/${note.id}/studies`, { study_id: s.id }).then(reload) }, "Attach"))))
          : "",
      );
    })
    .catch((error) => clear(box).append(h("h2", { id: "note-studies-title" }, "Imaging"), h("p", { class: "empty" }, `Studies could not be loaded: ${error.detail || error.message}`)));
  return box;
}
