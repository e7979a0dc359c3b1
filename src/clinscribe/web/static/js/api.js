// The REST client: bearer tokens kept in sessionStorage (gone with the tab), refreshed
// before they expire; a failed refresh ends the session.

const KEY = "clinscribe.session";
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, detail, body = null) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body; // the whole error body (a version conflict carries what to merge)
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function store(pair) {
  if (!pair) {
    sessionStorage.removeItem(KEY);
  } else {
    const expiresAt = Date.now() + (pair.expires_in || 900) * 1000;
    sessionStorage.setItem(
      KEY,
      JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, expiresAt }),
    );
  }
  for (const fn of listeners) fn(session());
}

export function onSessionChange(fn) {
  listeners.add(fn);
}

// Single sign-on left our session in a cookie only this call can read; collecting it rotates
// the refresh token, so the cookie is spent.
export async function collectSsoSession() {
  const pair = await request("/auth/oidc/session", { method: "POST", json: {}, auth: false });
  store(pair);
}

// A right password either opens a session, or (second factor enrolled) returns the ticket
// for `verifyMfa`: `{mfa_required: true, mfa_token}`.
export async function login(email, password) {
  const answer = await request("/auth/login", { method: "POST", json: { email, password }, auth: false });
  if (answer.mfa_required) return answer;
  store(answer);
  return null;
}

// Sign-in's second step: the ticket plus `{code}` or `{recovery_code}`.
export async function verifyMfa(mfaToken, proof) {
  store(await request("/auth/mfa/verify", { method: "POST", json: { mfa_token: mfaToken, ...proof }, auth: false }));
}

// Enrolment and step-up answer with a fresh session (its second factor current).
export function adopt(pair) {
  store(pair);
}

// Who asks for a code when an action needs a recent second factor (set by the app); it
// resolves once a fresh session is stored, and the action is retried once.
let stepUp = null;
let enrolment = null;

export function onStepUp(fn) {
  stepUp = fn;
}

// Who is told when this role must enrol a second factor before anything else.
export function onEnrolmentRequired(fn) {
  enrolment = fn;
}

export async function logout() {
  const current = session();
  store(null);
  if (current && current.refresh) {
    try {
      await request("/auth/logout", { method: "POST", json: { refresh_token: current.refresh }, auth: false });
    } catch {
      // The local session is gone either way.
    }
  }
}

let refreshing = null;

async function refresh() {
  const current = session();
  if (!current || !current.refresh) throw new ApiError(401, "session_expired", "Your session has expired; please sign in again.");
  refreshing ||= request("/auth/refresh", {
    method: "POST",
    json: { refresh_token: current.refresh },
    auth: false,
  })
    .then((pair) => store(pair))
    .catch((error) => {
      store(null);
      throw new ApiError(401, "session_expired", "Your session has expired; please sign in again.");
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function accessToken() {
  const current = session();
  if (!current) throw new ApiError(401, "signed_out", "Please sign in.");
  if (current.expiresAt - Date.now() < 60_000 && current.refresh) await refresh();
  return session().access;
}

async function errorCode(response) {
  try {
    const body = await response.clone().json();
    return body && body.error;
  } catch {
    return null;
  }
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    let detail = body && body.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    throw new ApiError(response.status, body && body.error, detail || response.statusText, body);
  }
  return body;
}

// request("/patients", {query, json, body, method, headers, auth}) → parsed body.
export async function request(path, options = {}) {
  const { method = "GET", json, body, query, headers = {}, auth = true, retried = false } = options;
  let url = path.startsWith("http") || path.startsWith("/api/") ? path : `/api/v1${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      // A list is a repeated parameter (?state=proposed&state=active).
      for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined && one !== null && one !== "") params.append(k, one);
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  if (auth) init.headers.Authorization = `Bearer ${await accessToken()}`;
  const response = await fetch(url, init);
  if (auth && (response.status === 401 || response.status === 403)) {
    const code = await errorCode(response);
    if (code === "mfa_required") {
      // Not a dead session: ask for a code once, then retry; never refresh or sign out.
      if (!stepUp || options.steppedUp) return parse(response);
      await stepUp();
      return request(path, { ...options, steppedUp: true });
    }
    if (code === "invalid_mfa_code") return parse(response); // a wrong code is not a dead session
    if (code === "mfa_enrolment_required" && enrolment) enrolment();
  }
  if (response.status === 401 && auth && !retried) {
    await refresh();
    return request(path, { ...options, retried: true });
  }
  if (response.status === 401 && auth) store(null);
  return options.raw ? response : parse(response);
}

export const get = (path, query) => request(path, { query });
export const post = (path, json) => request(path, { method: "POST", json: json ?? {} });
export const patch = (path, json) => request(path, { method: "PATCH", json });
export const put = (path, json) => request(path, { method: "PUT", json });
export const del = (path) => request(path, { method: "DELETE" });

// Bytes of an authenticated resource (audio, bundles), as an ArrayBuffer.
export async function bytes(path) {
  const response = await request(path, { raw: true });
  if (!response.ok) await parse(response);
  return response.arrayBuffer();
}
