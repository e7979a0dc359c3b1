// A transcript: speaker-labelled segments, corrected drug names marked, click to play,
// and evidence highlighting for the note editor.
import * as api from "../api.js";
import { clear, h } from "../dom.js";

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const SPEAKERS = { clinician: "Clinician", patient: "Patient" };

// Ranges of the segment text that name a corrected word (the replacement as written).
function correctionRanges(segment) {
  const ranges = [];
  const lower = segment.text.toLowerCase();
  for (const c of segment.corrections || []) {
    const at = lower.indexOf(String(c.replacement || "").toLowerCase());
    if (at >= 0 && c.replacement) {
      ranges.push({ begin: at, end: at + c.replacement.length, cls: "corrected", original: c.original });
    }
  }
  return ranges;
}

// Ranges of drug names the engine is unsure of (words flagged low_confidence): for review.
function lowConfidenceRanges(segment) {
  const ranges = [];
  const lower = segment.text.toLowerCase();
  let from = 0;
  for (const w of segment.words || []) {
    const word = String(w.word || "").trim().replace(/^[^\w]+|[^\w]+$/g, "");
    if (!word) continue;
    const at = lower.indexOf(word.toLowerCase(), from);
    if (at < 0) continue;
    from = at + word.length;
    if (w.low_confidence) ranges.push({ begin: at, end: at + word.length, cls: "unsure" });
  }
  return ranges;
}

// Text split on every range boundary; covered pieces become <mark>s.
export function markText(text, ranges) {
  const cuts = new Set([0, text.length]);
  for (const r of ranges) {
    cuts.add(Math.max(0, Math.min(text.length, r.begin)));
    cuts.add(Math.max(0, Math.min(text.length, r.end)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < points.length - 1; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    const piece = text.slice(a, b);
    const covering = ranges.filter((r) => r.begin <= a && r.end >= b);
    if (!covering.length) {
      out.push(piece);
      continue;
    }
    const mark = h("mark", { class: [...new Set(covering.map((r) => r.cls))].join(" ") }, piece);
    const corrected = covering.find((r) => r.cls === "corrected");
    const unsure = covering.some((r) => r.cls === "unsure");
    const check = unsure ? " Unsure: check this drug name against the recording." : "";
    if (corrected) {
      mark.title = `Corrected; heard “${corrected.original}”.${check}`;
      out.push(mark, h("span", { class: "sr-only" }, ` (corrected from “${corrected.original}”)${unsure ? " (unsure, check)" : ""}`));
    } else if (unsure) {
      mark.title = check.trim();
      out.push(mark, h("span", { class: "sr-only" }, " (unsure, check)"));
    } else {
      out.push(mark);
    }
  }
  return out;
}

class Player {
  constructor(recordingId, status) {
    this.recordingId = recordingId;
    this.status = status;
    this.buffer = null;
    this.source = null;
  }

  async play(from) {
    this.stop();
    if (!this.recordingId) {
      this.status.textContent = "No audio is stored for this transcript.";
      return;
    }
    this.context ||= new AudioContext();
    if (!this.buffer) {
      this.status.textContent = "Loading audio…";
      const data = await api.bytes(`/recordings/${this.recordingId}/audio`);
      this.buffer = await this.context.decodeAudioData(data);
    }
    await this.context.resume();
    this.source = this.context.createBufferSource();
    this.source.buffer = this.buffer;
    this.source.connect(this.context.destination);
    this.source.start(0, Math.min(from, this.buffer.duration));
    this.status.textContent = `Playing from ${clock(from)}`;
    this.source.addEventListener("ended", () => {
      this.status.textContent = "";
    });
  }

  stop() {
    if (this.source) {
      try {
        this.source.stop();
      } catch {
        // already stopped
      }
      this.source = null;
    }
    this.status.textContent = "";
  }
}

// The marker a gap segment shows (the same words the note draft uses).
export function gapLabel(segment) {
  return `[speech not recognised ${segment.start.toFixed(1)}–${segment.end.toFixed(1)} s]`;
}

// → {el, highlight(evidence), player}
export function transcriptView(transcript) {
  const status = h("span", { class: "play-status", role: "status" });
  const player = new Player(transcript.recording_id, status);
  const items = new Map();
  const list = h("ol", { class: "segments", "aria-label": "Transcript segments" });
  for (const segment of transcript.segments || []) {
    const text = h("span", { class: "seg-text" });
    // Speech the engine heard but could not turn into words: shown, never silently joined.
    const gap = (segment.flags || []).includes("speech_gap");
    const render = gap
      ? () => clear(text).append(h("mark", { class: "gap" }, gapLabel(segment)))
      : (extra = []) => clear(text).append(...markText(segment.text, [...correctionRanges(segment), ...lowConfidenceRanges(segment), ...extra]));
    render();
    const speaker = segment.speaker ? SPEAKERS[segment.speaker] || segment.speaker : "—";
    const li = h(
      "li",
      { id: `seg-${segment.id}`, class: `segment speaker-${segment.speaker || "unknown"}${gap ? " speech-gap" : ""}`, dataset: { segment: segment.id } },
      h(
        "button",
        {
          type: "button",
          class: "seg-play",
          title: `Play from ${clock(segment.start)}`,
          "aria-label": `Play from ${clock(segment.start)}`,
          onclick: () => player.play(segment.start).catch((e) => (status.textContent = e.message)),
        },
        `▶ ${clock(segment.start)}`,
      ),
      h("span", { class: "speaker", title: segment.speaker ? null : "Speaker not identified" }, speaker),
      text,
    );
    if (segment.original_text && segment.original_text !== segment.text) li.title = `Heard: ${segment.original_text}`;
    if (gap) li.title = "Speech was detected here but not recognised: listen to the audio and complete the note.";
    text.addEventListener("click", () => player.play(segment.start).catch((e) => (status.textContent = e.message)));
    items.set(segment.id, { li, render });
    list.append(li);
  }
  const gaps = (transcript.segments || []).filter((s) => (s.flags || []).includes("speech_gap")).length;
  const el = h(
    "div",
    { class: "transcript" },
    h("div", { class: "row" }, h("button", { type: "button", onclick: () => player.stop() }, "Stop audio"), status),
    gaps ? h("p", { class: "gap-warning", role: "note" }, `${gaps} stretch${gaps > 1 ? "es" : ""} of speech not recognised — marked below; listen before signing.`) : "",
    list.childElementCount ? list : h("p", {}, "(no speech found)"),
  );

  function highlight(evidence) {
    for (const item of items.values()) {
      item.li.classList.remove("has-evidence");
      item.render();
    }
    const bySegment = new Map();
    for (const ev of evidence || []) {
      if (!bySegment.has(ev.segment)) bySegment.set(ev.segment, []);
      bySegment.get(ev.segment).push({ begin: ev.begin, end: ev.end, cls: "evidence" });
    }
    let first = null;
    for (const [id, ranges] of bySegment) {
      const item = items.get(id);
      if (!item) continue;
      item.render(ranges);
      item.li.classList.add("has-evidence");
      first ||= item.li;
    }
    if (first) first.scrollIntoView({ block: "nearest" });
    return bySegment.size;
  }

  return { el, highlight, player };
}
