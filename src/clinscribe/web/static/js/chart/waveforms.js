// ECG waveforms of the patient: each recording's strip (25 mm/s, 10 mm/mV) and its measurements
// beside what the device itself reported; new ones are uploaded here (DICOM ECG, or WFDB .hea
// with its .dat files, or a zip). The measurements also arrive as proposed observations.
import * as api from "../api.js";
import { busy, clear, flash, fmtDate, h, table } from "../dom.js";
import { canWrite } from "./common.js";

const fmt = (v) => (v === null || v === undefined ? "—" : String(v));

// The page-wide CSP allows no blob: images, so the PNG is drawn onto a canvas.
async function stripCanvas(waveform) {
  const data = await api.bytes(waveform.strip_png);
  const bitmap = await createImageBitmap(new Blob([data], { type: "image/png" }));
  const label = `ECG strip, ${waveform.leads.length} leads, ${waveform.duration} s`;
  const canvas = h("canvas", { class: "ecg-strip", width: bitmap.width, height: bitmap.height, role: "img", "aria-label": label });
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  return canvas;
}

function measurements(waveform) {
  if (!waveform.measurements.length) return h("p", { class: "hint" }, "No measurements: the signal shows no beats to measure.");
  return table(
    ["Measurement", "Value", "Device", "Unit", "LOINC"],
    waveform.measurements.map((m) => [m.display, fmt(m.value), fmt(m.device_value), m.unit, m.code || "—"]),
    "Measured by NeuroKit2 (lead " + (waveform.analysis_lead || waveform.leads[0]) + ")",
  );
}

async function uploadForm(ctx) {
  const input = h("input", { type: "file", name: "file", multiple: true, accept: ".dcm,.hea,.dat,.zip,application/dicom" });
  const button = h("button", { type: "submit" }, "Upload ECG");
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: (e) => {
        e.preventDefault();
        if (!input.files.length) return;
        busy(button, async () => {
          const body = new FormData();
          for (const file of input.files) body.append("file", file, file.name);
          await api.request(`/patients/${ctx.patientId}/waveforms`, { method: "POST", body });
          flash("ECG stored; its measurements wait for review as proposed observations.");
          await ctx.reload();
        });
      },
    },
    h("label", {}, "ECG file(s) ", input),
    button,
  );
  return form;
}

export async function waveformsTab(body, ctx) {
  const list = await api.get(`/patients/${ctx.patientId}/waveforms`);
  const items = [];
  for (const w of list) {
    const detail = await api.get(`/waveforms/${w.id}`);
    items.push(
      h(
        "article",
        { class: "waveform", "aria-label": `ECG of ${fmtDate(w.acquired_at || w.created_at)}` },
        h("h3", {}, `${fmtDate(w.acquired_at || w.created_at)} · ${w.format.toUpperCase()} · ${w.leads.length} leads · ${w.duration} s at ${w.sampling_rate} Hz`),
        await stripCanvas(w),
        measurements(detail),
      ),
    );
  }
  clear(body).append(
    h("h2", { id: "chart-tab-title", tabindex: -1 }, ctx.title),
    ...(items.length ? items : [h("p", { class: "hint" }, "No ECGs yet.")]),
    canWrite() ? await uploadForm(ctx) : "",
  );
}
