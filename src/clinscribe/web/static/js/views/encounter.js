// One encounter: capture (live, upload, text), its transcripts, and drafting notes.
import * as api from "../api.js";
import { onLeave } from "../app.js";
import { LiveCapture } from "../capture/live.js";
import { TUS_THRESHOLD, multipartUpload, tusUpload, waitForTranscript } from "../capture/upload.js";
import { busy, clear, describe, field, fmtDate, h, select, showError, table } from "../dom.js";
import { patientName } from "./patients.js";
import { clock, gapLabel, transcriptView } from "./transcript.js";

const STATES = {
  idle: "Not recording",
  connecting: "Connecting…",
  live: "Recording — live",
  paused: "Paused",
  disconnected: "Connection lost — still recording, reconnecting…",
  reconnecting: "Reconnecting…",
  finishing: "Finishing — waiting for the final transcript…",
  done: "Finished — transcript saved",
  failed: "Stopped — the live session failed",
};

export async function encounterPage(encounterId) {
  const encounter = await api.get(`/encounters/${encounterId}`);
  const patient = await api.get(`/patients/${encounter.patient_id}`);
  const transcriptsBox = h("div", { id: "transcripts" });
  const notesBox = h("div", { id: "notes" });
  const ctx = { encounterId, transcriptsBox, notesBox, transcripts: [] };
  const main = document.getElementById("main");
  clear(main).append(
    h("p", {}, h("a", { href: `#/patients/${patient.id}` }, `← ${patientName(patient)}`)),
    h("h1", {}, `Encounter — ${patientName(patient)}`),
    h("p", { class: "meta" }, `MRN ${patient.mrn} · ${encounter.type} · ${encounter.status} · ${fmtDate(encounter.started_at || encounter.created_at)}`, encounter.reason ? ` · ${encounter.reason}` : ""),
    h(
      "div",
      { class: "columns" },
      h("section", { class: "card", "aria-labelledby": "capture-title" }, h("h2", { id: "capture-title" }, "Capture"), liveCard(ctx), uploadCard(ctx), textCard(ctx)),
      h("section", { class: "card", "aria-labelledby": "notes-title" }, h("h2", { id: "notes-title" }, "Notes"), await draftForm(ctx), notesBox),
    ),
    h("section", { class: "card", "aria-labelledby": "tr-title" }, h("h2", { id: "tr-title" }, "Transcripts"), transcriptsBox),
  );
  await Promise.all([loadTranscripts(ctx), loadNotes(ctx)]);
}

async function loadTranscripts(ctx, selectId) {
  ctx.transcripts = await api.get(`/encounters/${ctx.encounterId}/transcripts`);
  const box = clear(ctx.transcriptsBox);
  if (!ctx.transcripts.length) {
    box.append(h("p", {}, "No transcripts yet. Record or upload the encounter."));
    return;
  }
  const options = ctx.transcripts.map((t, i) => [t.id, `${i + 1}. ${fmtDate(t.created_at)} · ${clock(t.duration)} · ${t.engine}`]);
  const chosen = selectId || ctx.transcripts[ctx.transcripts.length - 1].id;
  const picker = select("transcript", options, chosen);
  const view = h("div", { id: "transcript-view" });
  const show = () => {
    const t = ctx.transcripts.find((x) => x.id === picker.value);
    clear(view).append(transcriptView(t).el);
    if (ctx.transcriptSelect) ctx.transcriptSelect.value = t.id;
  };
  picker.addEventListener("change", show);
  box.append(field("Transcript", picker), view);
  show();
}

async function loadNotes(ctx) {
  const notes = await api.get(`/encounters/${ctx.encounterId}/notes`);
  const rows = notes.map((n) => [h("a", { href: `#/notes/${n.id}` }, `${n.template} v${n.version}`), n.status, n.delivery_status || ""]);
  clear(ctx.notesBox).append(rows.length ? table(["Note", "Status", "Delivery"], rows, "Notes of this encounter") : h("p", {}, "No notes yet."));
}

async function draftForm(ctx) {
  const templates = await api.get("/templates");
  const template = select("template", templates.map((t) => [t.key, t.title]), "soap");
  ctx.transcriptSelect = h("input", { type: "hidden", name: "transcript_id" });
  const submit = h("button", { type: "submit" }, "Draft note");
  const form = h("form", { class: "row" }, field("Template", template), ctx.transcriptSelect, submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const note = await api.post(`/encounters/${ctx.encounterId}/notes`, {
        template: template.value,
        transcript_id: ctx.transcriptSelect.value || null,
      });
      location.hash = `#/notes/${note.id}`;
    });
  });
  return form;
}

function liveCard(ctx) {
  const mode = select("mode", [["dictation", "Dictation"], ["conversation", "Conversation"]], "dictation");
  const state = h("p", { class: "live-state", id: "live-state", role: "status", dataset: { state: "idle" } }, STATES.idle);
  const level = h("meter", { id: "level", min: 0, max: 1, value: 0, "aria-label": "Microphone level" });
  const finals = h("div", { id: "live-finals", class: "live-finals" });
  const partial = h("p", { id: "live-partial", class: "partial", "aria-live": "off" });
  const start = h("button", { type: "button", id: "rec-start" }, "● Record");
  const pause = h("button", { type: "button", id: "rec-pause", disabled: true }, "Pause");
  const stop = h("button", { type: "button", id: "rec-stop", disabled: true }, "Stop");
  let live = null;

  const setState = (name, detail) => {
    state.dataset.state = name;
    state.textContent = STATES[name] + (detail ? ` (${detail})` : "");
    const active = !["idle", "done", "failed", "finishing"].includes(name);
    start.disabled = active || name === "finishing";
    pause.disabled = !active;
    stop.disabled = !active;
    pause.textContent = name === "paused" ? "Resume" : "Pause";
  };

  start.addEventListener("click", async () => {
    showError(null);
    if (!LiveCapture.supported()) {
      showError(new Error("This browser cannot record webm/opus audio; upload a file instead."));
      return;
    }
    clear(finals);
    partial.textContent = "";
    live = new LiveCapture({
      encounterId: ctx.encounterId,
      mode: mode.value,
      on: {
        state: setState,
        level: (v) => (level.value = v),
        partial: (text) => (partial.textContent = text),
        final: (segment) => {
          partial.textContent = "";
          // A session taken over by another server sends its finals again, with their ids.
          if (finals.querySelector(`[data-segment="${segment.id}"]`)) return;
          const gap = (segment.flags || []).includes("speech_gap");
          finals.append(h("p", { class: "final", "data-segment": String(segment.id) }, gap ? h("mark", { class: "gap" }, gapLabel(segment)) : segment.text));
        },
        done: async (transcriptId) => {
          live = null;
          await loadTranscripts(ctx, transcriptId).catch(showError);
        },
        error: (message) => showError(new Error(message)),
      },
    });
    onLeave(() => live && live.abandon());
    try {
      await live.start();
    } catch (error) {
      setState("failed", describe(error));
      showError(error);
    }
  });
  pause.addEventListener("click", () => {
    if (!live) return;
    if (live.paused) live.resume();
    else live.pause();
  });
  stop.addEventListener("click", () => live && live.stop());

  return h(
    "div",
    { class: "subcard" },
    h("h3", {}, "Record live"),
    h("div", { class: "row" }, field("Mode", mode), start, pause, stop),
    h("div", { class: "row" }, h("span", { "aria-hidden": "true" }, "Level"), level, state),
    h("div", { class: "live-text", "aria-label": "Live transcript", role: "log" }, finals, partial),
  );
}

function uploadCard(ctx) {
  const file = h("input", { type: "file", name: "file", accept: "audio/*,video/webm,.wav,.mp3,.m4a,.ogg,.opus,.webm,.flac", required: true });
  const mode = select("mode", [["dictation", "Dictation"], ["conversation", "Conversation"]], "dictation");
  const progress = h("progress", { id: "upload-progress", max: 1, value: 0, "aria-label": "Upload progress" });
  const status = h("span", { id: "upload-status", role: "status" });
  const submit = h("button", { type: "submit" }, "Upload");
  const form = h("form", { class: "row" }, field("Audio file", file), field("Mode", mode), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    busy(submit, async () => {
      const onProgress = (p) => {
        progress.value = p;
        status.textContent = `Uploading ${Math.round(p * 100)}%`;
      };
      let recordingId;
      if (chosen.size > TUS_THRESHOLD) {
        const before = new Set((await api.get(`/encounters/${ctx.encounterId}/recordings`)).map((r) => r.id));
        await tusUpload(chosen, { encounter_id: ctx.encounterId, filename: chosen.name, filetype: chosen.type || "application/octet-stream", mode: mode.value }, onProgress);
        const after = await api.get(`/encounters/${ctx.encounterId}/recordings`);
        recordingId = (after.find((r) => !before.has(r.id)) || after[after.length - 1]).id;
      } else {
        recordingId = (await multipartUpload(ctx.encounterId, chosen, mode.value, onProgress)).recording.id;
      }
      status.textContent = "Uploaded; transcribing…";
      const transcriptId = await waitForTranscript(recordingId, (s) => (status.textContent = `Transcribing: ${s}`));
      status.textContent = "Transcript ready.";
      await loadTranscripts(ctx, transcriptId);
    });
  });
  return h("div", { class: "subcard" }, h("h3", {}, "Upload a recording"), form, h("div", { class: "row" }, progress, status));
}

function textCard(ctx) {
  const text = h("textarea", { name: "text", rows: 4 });
  const submit = h("button", { type: "submit" }, "Add text");
  const form = h("form", {}, field("Dictation or dialogue text", text, "Use “Doctor:” / “Patient:” lines for a dialogue."), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    busy(submit, async () => {
      const accepted = await api.post(`/encounters/${ctx.encounterId}/text`, { text: text.value });
      text.value = "";
      await loadTranscripts(ctx, accepted.transcript_id);
    });
  });
  return h("details", { class: "subcard" }, h("summary", {}, "Paste text instead"), form);
}
