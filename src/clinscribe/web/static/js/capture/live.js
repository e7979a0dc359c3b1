// Live dictation: microphone → MediaRecorder (webm/opus) → /api/v1/stream, with resume.
//
// Each WebSocket connection carries its own webm stream (a new header), so after a drop a
// fresh recorder starts at once and its chunks wait in memory until the session resumes.
import * as api from "../api.js";

const FATAL = new Set([4400, 4401, 4403, 4404, 4413, 4429, 4500]);
const MIME = "audio/webm;codecs=opus";

export class LiveCapture {
  constructor({ encounterId, mode, on }) {
    this.encounterId = encounterId;
    this.mode = mode;
    this.on = on; // {state(name, detail), partial(text), final(segment), level(0..1), done(id), error(msg)}
    this.sessionId = null;
    this.ws = null;
    this.ready = false;
    this.buffer = [];
    this.stopping = false;
    this.paused = false;
    this.closed = false;
    this.retries = 0;
  }

  static supported() {
    return Boolean(navigator.mediaDevices && window.MediaRecorder && MediaRecorder.isTypeSupported(MIME));
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    this.meter();
    this.newRecorder();
    await this.connect();
  }

  meter() {
    this.audio = new AudioContext();
    const source = this.audio.createMediaStreamSource(this.stream);
    const analyser = this.audio.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    this.levelTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      const rms = Math.sqrt(sum / data.length);
      this.on.level(this.paused ? 0 : Math.min(1, rms * 4));
    }, 100);
  }

  newRecorder() {
    const recorder = new MediaRecorder(this.stream, { mimeType: MIME, audioBitsPerSecond: 32000 });
    recorder.addEventListener("dataavailable", (event) => {
      if (recorder !== this.recorder || !event.data.size) return;
      if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(event.data);
      else this.buffer.push(event.data);
    });
    this.recorder = recorder;
    recorder.start(250);
  }

  async connect() {
    this.ready = false;
    this.on.state(this.sessionId ? "reconnecting" : "connecting");
    let token;
    try {
      token = (await api.post("/stream/tokens")).token;
    } catch (error) {
      this.dropped(error.message);
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/stream?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.addEventListener("open", () => {
      ws.send(
        JSON.stringify({
          type: "config",
          encoding: "webm_opus",
          sample_rate: 48000,
          mode: this.mode,
          encounter_id: this.encounterId,
          resume: this.sessionId || undefined,
        }),
      );
    });
    ws.addEventListener("message", (event) => this.message(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => this.closedSocket(ws, event));
  }

  message(msg) {
    if (msg.type === "session") {
      this.sessionId = msg.session_id;
      this.ready = true;
      this.retries = 0;
      // Only while the socket is open: a chunk taken from the buffer for a socket that has
      // just dropped would be lost, and stays buffered for the resumed session instead.
      while (this.buffer.length && this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(this.buffer.shift());
      }
      this.on.state(this.paused ? "paused" : "live", msg.resumed ? "resumed" : "");
      if (this.stopping) this.sendStop();
    } else if (msg.type === "partial") {
      this.on.partial(msg.text || "");
    } else if (msg.type === "final") {
      this.on.final(msg.segment);
    } else if (msg.type === "done") {
      this.closed = true;
      this.on.state("done");
      this.on.done(msg.transcript_id);
    } else if (msg.type === "error") {
      this.lastError = msg.message || msg.code;
    }
  }

  closedSocket(ws, event) {
    if (ws !== this.ws || this.closed) return;
    this.ready = false;
    if (FATAL.has(event.code) && !(event.code === 4404 && !this.sessionId)) {
      this.fail(this.lastError || `the live session ended (${event.code})`);
      return;
    }
    if (event.code === 4404) {
      this.fail(this.lastError || "the live session could not be resumed");
      return;
    }
    this.dropped(this.lastError || "connection lost");
  }

  dropped(reason) {
    if (this.closed) return;
    this.retries += 1;
    if (this.retries > 8) {
      this.fail(`could not reconnect: ${reason}`);
      return;
    }
    // Keep capturing: a new recorder (new webm header) buffers until we are back.
    if (this.recorder && this.recorder.state !== "inactive") {
      const old = this.recorder;
      this.recorder = null;
      old.stop();
      this.buffer = [];
      this.newRecorder();
      if (this.paused) this.recorder.pause();
    }
    this.on.state("disconnected", reason);
    const delay = Math.min(8000, 500 * 2 ** (this.retries - 1));
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  pause() {
    if (!this.recorder || this.recorder.state !== "recording") return;
    this.recorder.pause();
    this.paused = true;
    this.on.state("paused");
  }

  resume() {
    if (!this.recorder || this.recorder.state !== "paused") return;
    this.recorder.resume();
    this.paused = false;
    this.on.state(this.ready ? "live" : "disconnected");
  }

  stop() {
    if (this.stopping) return;
    this.stopping = true;
    this.on.state("finishing");
    const recorder = this.recorder;
    if (recorder && recorder.state !== "inactive") {
      recorder.addEventListener("stop", () => this.sendStop(), { once: true });
      recorder.stop();
    } else {
      this.sendStop();
    }
    this.release();
  }

  sendStop() {
    if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) {
      // After the last chunk: dataavailable fires before stop.
      this.ws.send(JSON.stringify({ type: "stop" }));
    }
  }

  release() {
    clearInterval(this.levelTimer);
    this.on.level(0);
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.audio) this.audio.close();
  }

  fail(message) {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
    this.release();
    this.on.state("failed", message);
    this.on.error(message);
  }

  abandon() {
    // Leaving the page: close without stop; the server keeps what it received.
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
    this.release();
    if (this.ws) this.ws.close(1000);
  }
}
