// A patient's records: documents (upload with progress, status), lab results with trends and
// flags, letter facts, and the page viewer that highlights the span a result was read from.
import * as api from "../api.js";
import { busy, clear, field, fmtDate, h, table } from "../dom.js";

const main = () => document.getElementById("main");
const SVG = "http://www.w3.org/2000/svg";
const DONE = new Set(["ready", "failed"]);

function viewerLink(documentId, page, begin, end, text) {
  const span = begin === undefined ? "" : `?begin=${begin}&end=${end}`;
  return h("a", { href: `#/documents/${documentId}/pages/${page}${span}`, class: "source" }, text);
}

// One multipart request with upload progress (XMLHttpRequest reports it; fetch does not).
async function uploadDocument(patientId, file, onProgress) {
  const token = await api.accessToken();
  const form = new FormData();
  form.append("file", file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/patients/${encodeURIComponent(patientId)}/documents`);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status === 202) resolve(body);
      else reject(new api.ApiError(xhr.status, body && body.error, (body && body.detail) || xhr.statusText));
    });
    xhr.addEventListener("error", () => reject(new Error("the upload failed (network)")));
    xhr.send(form);
  });
}

async function waitForDocument(documentId, onStatus) {
  for (;;) {
    const detail = await api.get(`/documents/${documentId}`);
    onStatus(detail.document.status);
    if (DONE.has(detail.document.status)) return detail;
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

// A small line of the values over time; the last point is marked, flagged points coloured.
export function sparkline(points) {
  const width = 96;
  const height = 24;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `trend: ${points.map((p) => p.value).join(", ")}`);
  if (points.length === 0) return svg;
  const values = points.map((p) => p.value);
  const lo = Math.min(...values);
  const span = Math.max(...values) - lo || 1;
  const x = (i) => (points.length === 1 ? width / 2 : 3 + (i * (width - 6)) / (points.length - 1));
  const y = (v) => height - 3 - ((v - lo) * (height - 6)) / span;
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#1f5f8b");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  points.forEach((p, i) => {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x(i).toFixed(1));
    dot.setAttribute("cy", y(p.value).toFixed(1));
    dot.setAttribute("r", i === points.length - 1 ? "2.5" : "1.5");
    dot.setAttribute("fill", p.flag ? "#b42318" : "#1f5f8b");
    svg.append(dot);
  });
  return svg;
}

function flagBadge(flag) {
  if (!flag) return "";
  return h("span", { class: `badge flag-${flag}`, title: flag === "H" ? "High" : "Low" }, flag);
}

function labsTable(labs) {
  // The newest result per analyte, with the trend of all of them.
  const latest = new Map();
  for (const o of labs.observations) latest.set(o.loinc || o.canonical || o.analyte_printed, o);
  const rows = [...latest.entries()].map(([key, o]) => [
    o.canonical || o.analyte_printed,
    h("span", { class: o.low_confidence ? "uncertain" : "" }, `${o.value_printed} ${o.unit || ""}`.trim(), o.low_confidence ? " (check)" : ""),
    flagBadge(o.flag),
    o.ref_printed || "",
    o.effective_date || "",
    sparkline(labs.trends[key] || []),
    viewerLink(o.document_id, o.page, o.span_begin, o.span_end, `p. ${o.page}`),
  ]);
  if (!rows.length) return h("p", {}, "No lab results yet.");
  const t = table(["Test", "Latest", "Flag", "Reference", "Date", "Trend", "Source"], rows, "Lab results");
  t.id = "labs-table";
  return t;
}

function factsList(facts) {
  if (!facts.length) return h("p", {}, "No medications, problems or allergies read from letters yet.");
  const label = { medication: "Medication", problem: "Problem", allergy: "Allergy", follow_up: "Follow-up" };
  const rows = facts.map((f) => [
    label[f.kind] || f.kind,
    [f.text, f.details.dose ? ` ${f.details.dose}` : "", f.details.frequency ? ` ${f.details.frequency}` : ""].join(""),
    f.details.status || f.details.reaction || "",
    viewerLink(f.document_id, f.page, f.span_begin, f.span_end, `p. ${f.page}`),
  ]);
  const t = table(["Kind", "What", "Status", "Source"], rows, "From letters");
  t.id = "facts-table";
  return t;
}

function documentsTable(docs, reload) {
  if (!docs.length) return h("p", {}, "No documents yet.");
  const rows = docs.map((d) => [
    d.status === "ready" ? viewerLink(d.id, 1, undefined, undefined, d.filename || "document") : d.filename || "document",
    d.kind.replace("_", " "),
    String(d.page_count),
    h("span", { class: `status-${d.status}`, title: d.error || "" }, d.status),
    fmtDate(d.created_at),
    h("button", {
      type: "button",
      onclick: (e) => {
        if (!confirm(`Delete ${d.filename || "this document"} and everything read from it?`)) return;
        busy(e.target, async () => {
          await api.del(`/documents/${d.id}`);
          await reload();
        });
      },
    }, "Delete"),
  ]);
  const t = table(["Document", "Kind", "Pages", "Status", "Added", ""], rows, "Documents");
  t.id = "documents-table";
  return t;
}

// The records part of a patient's chart (appended to the patient page).
export function recordsSection(patientId) {
  const body = h("div", { id: "records-body" });
  const file = h("input", { type: "file", name: "document", accept: ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.txt,application/pdf,image/*,text/plain" });
  const progress = h("progress", { id: "doc-progress", max: 1, value: 0 });
  const status = h("span", { id: "doc-status", role: "status" });
  const submit = h("button", { type: "submit" }, "Upload document");
  const form = h("form", { class: "row" }, field("Document file", file, "PDF, PNG, JPEG, TIFF or text"), submit, progress, status);
  async function reload() {
    const [docs, labs, facts] = await Promise.all([
      api.get(`/patients/${patientId}/documents`),
      api.get(`/patients/${patientId}/documents/labs`),
      api.get(`/patients/${patientId}/documents/facts`),
    ]);
    clear(body).append(
      documentsTable(docs, reload),
      h("h3", {}, "Lab results"),
      labsTable(labs),
      h("h3", {}, "Medications, problems and allergies"),
      factsList(facts),
    );
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!file.files.length) return;
    busy(submit, async () => {
      status.textContent = "Uploading…";
      const accepted = await uploadDocument(patientId, file.files[0], (f) => (progress.value = f));
      progress.value = 1;
      await reload();
      const detail = await waitForDocument(accepted.document.id, (s) => (status.textContent = `Reading document: ${s}`));
      status.textContent = detail.document.status === "ready" ? "Document ready." : `Could not read the document: ${detail.document.error}`;
      file.value = "";
      await reload();
    });
  });
  const section = h("section", { class: "card", id: "records" }, h("h2", {}, "Records"), form, body);
  busy(null, reload);
  return section;
}

// Text with the cited span and the characters OCR was unsure of marked.
function markedText(page, begin, end) {
  const marks = page.low_confidence_spans.map((s) => [s.begin, s.end, "uncertain"]);
  if (begin !== null) marks.push([begin, end, "cited"]);
  const cuts = new Set([0, page.text.length]);
  for (const [b, e] of marks) cuts.add(b).add(e);
  const points = [...cuts].filter((c) => c >= 0 && c <= page.text.length).sort((a, b) => a - b);
  const pre = h("pre", { id: "page-text", class: "page-text" });
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [from, to] = [points[i], points[i + 1]];
    const kinds = marks.filter(([b, e]) => b <= from && to <= e).map((m) => m[2]);
    const piece = page.text.slice(from, to);
    pre.append(kinds.length ? h("mark", { class: kinds.join(" ") }, piece) : document.createTextNode(piece));
  }
  return pre;
}

// The OCR word boxes of the cited characters, in the pixels of `page.image_size`.
function citedBoxes(page, begin, end) {
  if (begin === null || end === null || !page.image_size) return [];
  return page.words.filter((w) => w.bbox && w.begin < end && begin < w.end).map((w) => w.bbox);
}

async function pageImage(url, boxes, size) {
  // The page-wide CSP allows no blob: images, so the PNG is drawn onto a canvas instead.
  const data = await api.bytes(url);
  const bitmap = await createImageBitmap(new Blob([data], { type: "image/png" }));
  const label = boxes.length ? "Page image, cited words highlighted" : "Page image";
  const canvas = h("canvas", { id: "page-image", width: bitmap.width, height: bitmap.height, role: "img", "aria-label": label });
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  if (boxes.length) {
    // The rendering may be smaller or larger than the image OCR read: scale each axis.
    const [sx, sy] = [bitmap.width / size[0], bitmap.height / size[1]];
    const pad = Math.max(2, Math.round(bitmap.width / 400));
    context.fillStyle = "rgba(255, 200, 0, 0.35)";
    context.strokeStyle = "rgba(190, 110, 0, 0.9)";
    context.lineWidth = Math.max(1, pad / 2);
    for (const [left, top, right, bottom] of boxes) {
      const [x, y] = [left * sx - pad, top * sy - pad];
      const [w, hgt] = [(right - left) * sx + 2 * pad, (bottom - top) * sy + 2 * pad];
      context.fillRect(x, y, w, hgt);
      context.strokeRect(x, y, w, hgt);
    }
  }
  canvas.dataset.highlights = String(boxes.length);
  return canvas;
}

export async function documentPage(documentId, number, query) {
  const params = new URLSearchParams(query || "");
  const begin = params.has("begin") ? Number(params.get("begin")) : null;
  const end = params.has("end") ? Number(params.get("end")) : null;
  const detail = await api.get(`/documents/${documentId}`);
  const page = await api.get(`/documents/${documentId}/pages/${number}`);
  const doc = detail.document;
  const nav = detail.pages.map((p) =>
    h("a", { href: `#/documents/${documentId}/pages/${p.number}`, "aria-current": p.number === Number(number) ? "page" : null }, `Page ${p.number}`),
  );
  const text = markedText(page, begin, end);
  clear(main()).append(
    h("p", {}, h("a", { href: `#/patients/${doc.patient_id}` }, "← Patient")),
    h("h1", {}, doc.filename || "Document"),
    h("p", { class: "meta" }, `${doc.kind.replace("_", " ")} · ${doc.page_count} page(s)`, doc.document_date ? ` · ${doc.document_date}` : "", ` · page ${page.number} (${page.source.replace("_", " ")})`),
    h("nav", { class: "tabs", "aria-label": "Pages" }, nav),
    h("section", { class: "card page-view" }, h("h2", {}, "Text"), text),
  );
  const cited = text.querySelector("mark.cited");
  if (cited) cited.scrollIntoView({ block: "center" });
  if (page.image_url) {
    const holder = h("section", { class: "card page-view" }, h("h2", {}, "Page image"));
    main().append(holder);
    holder.append(await pageImage(page.image_url, citedBoxes(page, begin, end), page.image_size));
  }
}
