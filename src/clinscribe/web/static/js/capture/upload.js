// File upload: one multipart request for small files, tus 1.0 (resumable) for large ones.
import * as api from "../api.js";

// Files above this many bytes go through tus (a test or a slow site may lower it per browser).
export const TUS_THRESHOLD = Number(localStorage.getItem("clinscribe.tusThreshold")) || 4 * 1024 * 1024;
const CHUNK = 2 * 1024 * 1024;
const TUS = { "Tus-Resumable": "1.0.0" };

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

async function authed(url, init) {
  const token = await api.accessToken();
  return fetch(url, { ...init, headers: { ...TUS, ...(init.headers || {}), Authorization: `Bearer ${token}` } });
}

async function failure(response) {
  let detail = response.statusText;
  try {
    const body = await response.json();
    detail = body.detail || detail;
  } catch {
    // not JSON
  }
  return new api.ApiError(response.status, "upload_failed", detail);
}

// Resumable upload; the upload URL is remembered (without the file name) so a reload resumes.
export async function tusUpload(file, metadata, onProgress) {
  const key = `clinscribe.tus:${metadata.encounter_id}:${file.size}:${file.lastModified}`;
  let url = localStorage.getItem(key);
  let offset = 0;
  if (url) {
    const head = await authed(url, { method: "HEAD" });
    if (head.ok) offset = Number(head.headers.get("Upload-Offset") || 0);
    else url = null;
  }
  if (!url) {
    const meta = Object.entries(metadata)
      .map(([k, v]) => `${k} ${b64(String(v))}`)
      .join(",");
    const created = await authed("/api/v1/uploads", {
      method: "POST",
      headers: { "Upload-Length": String(file.size), "Upload-Metadata": meta },
    });
    if (created.status !== 201) throw await failure(created);
    url = new URL(created.headers.get("Location"), location.href).pathname;
    localStorage.setItem(key, url);
  }
  let attempts = 0;
  while (offset < file.size) {
    onProgress(offset / file.size);
    const response = await authed(url, {
      method: "PATCH",
      headers: { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
      body: file.slice(offset, offset + CHUNK),
    }).catch(() => null);
    if (response && response.status === 204) {
      offset = Number(response.headers.get("Upload-Offset"));
      attempts = 0;
      continue;
    }
    attempts += 1;
    if (attempts > 5) throw response ? await failure(response) : new Error("upload interrupted");
    await new Promise((resolve) => setTimeout(resolve, 500 * attempts));
    const head = await authed(url, { method: "HEAD" }).catch(() => null);
    if (head && head.ok) offset = Number(head.headers.get("Upload-Offset") || offset);
  }
  localStorage.removeItem(key);
  onProgress(1);
}

// One request with upload progress (XMLHttpRequest reports it; fetch does not). → job id.
export async function multipartUpload(encounterId, file, mode, onProgress) {
  const token = await api.accessToken();
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("mode", mode);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/encounters/${encodeURIComponent(encounterId)}/recordings`);
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

// Wait for a recording of the encounter to have a transcript (or fail).
export async function waitForTranscript(recordingId, onStatus) {
  for (;;) {
    const info = await api.get(`/recordings/${recordingId}`);
    if (info.transcript_id) return info.transcript_id;
    const job = info.job;
    if (job && job.status === "dead") {
      throw new Error(`transcription failed: ${job.last_error || job.status}`);
    }
    onStatus(job ? `${job.status}${job.progress ? ` ${Math.round(job.progress * 100)}%` : ""}` : info.recording.status);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
