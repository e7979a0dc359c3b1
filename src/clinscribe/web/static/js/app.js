// Entry point: sign-in, the hash router and the page chrome.
import * as api from "./api.js";
import { clear, field, flash, h, showError, busy } from "./dom.js";

const routes = [
  [/^#\/patients\/([\w-]+)\/chart(?:\/([\w-]+))?$/, (m) => import("./views/chart.js").then((v) => v.chartPage(m[1], m[2]))],
  [/^#\/patients\/([\w-]+)$/, (m) => import("./views/patients.js").then((v) => v.patientPage(m[1]))],
  [/^#\/patients$/, () => import("./views/patients.js").then((v) => v.patientsPage())],
  [/^#\/encounters\/([\w-]+)$/, (m) => import("./views/encounter.js").then((v) => v.encounterPage(m[1]))],
  [/^#\/documents\/([\w-]+)\/pages\/(\d+)(?:\?(.*))?$/, (m) => import("./views/records.js").then((v) => v.documentPage(m[1], m[2], m[3]))],
  [/^#\/notes\/([\w-]+)$/, (m) => import("./views/note.js").then((v) => v.notePage(m[1]))],
  [/^#\/admin\/(\w[\w-]*)$/, (m) => import("./views/admin.js").then((v) => v.adminPage(m[1]))],
  [/^#\/mfa$/, () => import("./views/mfa.js").then((v) => v.mfaPage())],
];

export const state = { me: null };
let cleanup = null;

// Views may register a function run when the user navigates away (e.g. stop recording).
export function onLeave(fn) {
  cleanup = fn;
}

function main() {
  return document.getElementById("main");
}

// Why single sign-on sent the browser back (reasons from /api/v1/auth/oidc/callback).
const SSO_ERRORS = {
  state: "Single sign-on did not match the sign-in started in this browser. Please try again.",
  expired: "Single sign-on took too long or was already used. Please try again.",
  denied: "Your organisation's sign-in service did not sign you in.",
  exchange: "Your organisation's sign-in service refused the sign-in (it may have been used already). Please try again.",
  id_token: "The answer from your organisation's sign-in service could not be verified.",
  nonce: "The answer from your organisation's sign-in service was not for this sign-in.",
  account: "Your organisation account is not set up for Clinscribe (no role or tenant, or it is disabled). Ask an administrator.",
  unavailable: "Your organisation's sign-in service cannot be reached right now. Try again later, or sign in with a password.",
  not_configured: "Single sign-on is not configured here.",
  error: "Single sign-on failed. Please try again.",
};

function ssoError() {
  const query = location.hash.split("?")[1] || "";
  const reason = new URLSearchParams(query).get("sso_error");
  return reason ? SSO_ERRORS[reason] || SSO_ERRORS.error : null;
}

function signInPage(message) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const problem = ssoError();
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    message ? h("p", { class: "notice" }, message) : null,
    problem ? h("p", { class: "notice", id: "sso-error", role: "alert" }, problem) : null,
    field("Email", email),
    field("Password", password),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const challenge = await api.login(email.value.trim(), password.value);
      password.value = "";
      if (challenge) {
        const mfa = await import("./views/mfa.js");
        await mfa.codePrompt(main(), challenge.mfa_token);
      }
      await loadMe();
      if (!location.hash || location.hash.startsWith("#/signin")) location.hash = "#/patients";
      else route();
    });
  });
  // A plain link: the browser leaves for the provider, which sends it back to the API.
  const sso =
    document.body.dataset.sso === "on"
      ? h(
          "section",
          { class: "card narrow", "aria-labelledby": "sso-title" },
          h("h2", { id: "sso-title" }, "Single sign-on"),
          h("a", { href: "/api/v1/auth/oidc/login", class: "button primary", id: "sso-link" }, "Sign in with your organisation"),
          document.body.dataset.oidcIssuer ? h("p", { class: "hint" }, `Uses ${hostOf(document.body.dataset.oidcIssuer)}.`) : null,
        )
      : null;
  clear(main()).append(form, sso || "");
  email.focus();
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

// Back from single sign-on (#/sso): collect the session the callback left for this page.
async function finishSso() {
  clear(main()).append(h("p", { role: "status" }, "Signing you in…"));
  try {
    await api.collectSsoSession();
    await loadMe();
  } catch {
    await api.logout();
    history.replaceState(null, "", `${location.pathname}#/signin?sso_error=expired`);
    return route();
  }
  // Replace #/sso in the history: going back to it would try to collect a spent session.
  // A SMART launch from OpenEMR names the chart to open (only a patient or an encounter).
  const next = new URLSearchParams(location.hash.split("?")[1] || "").get("next") || "";
  const target = /^(patients|encounters)\/[\w-]+$/.test(next) ? next : "patients";
  history.replaceState(null, "", `${location.pathname}#/${target}`);
  return route();
}

async function loadMe() {
  state.me = await api.get("/me").catch((error) => {
    if (error.status === 403) return { role: "api", email: "API key" };
    throw error;
  });
  // A role the tenant makes MFA-mandatory, without a second factor yet: enrolment first.
  const mfa = state.me.id ? await api.get("/auth/mfa").catch(() => null) : null;
  state.mfaPending = Boolean(mfa && mfa.required && !mfa.enrolled);
  renderChrome();
}

function renderChrome() {
  const signedIn = Boolean(api.session() && state.me);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("who").textContent = signedIn ? `${state.me.email} (${state.me.role})` : "";
  for (const link of document.querySelectorAll("#nav [data-role]")) {
    link.hidden = !signedIn || state.me.role !== link.dataset.role;
  }
}

async function route() {
  showError(null);
  flash("");
  if (cleanup) {
    const fn = cleanup;
    cleanup = null;
    try {
      fn();
    } catch {
      // leaving a page never fails navigation
    }
  }
  if (location.hash === "#/sso" || location.hash.startsWith("#/sso?")) return finishSso();
  if (!api.session()) {
    state.me = null;
    renderChrome();
    signInPage(sessionStorage.getItem("clinscribe.signout-reason"));
    sessionStorage.removeItem("clinscribe.signout-reason");
    return;
  }
  if (!state.me) {
    try {
      await loadMe();
    } catch (error) {
      showError(error);
      return;
    }
  }
  if (state.mfaPending && location.hash !== "#/mfa") {
    location.hash = "#/mfa";
    return;
  }
  const hash = location.hash || "#/patients";
  for (const [pattern, load] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try {
        await load(match);
      } catch (error) {
        showError(error);
      }
      for (const link of document.querySelectorAll("#nav a")) {
        link.toggleAttribute("aria-current", hash.startsWith(link.getAttribute("href").replace(/\/users$/, "")));
      }
      main().focus({ preventScroll: true });
      return;
    }
  }
  location.hash = "#/patients";
}

api.onSessionChange((current) => {
  if (!current && state.me) {
    state.me = null;
    sessionStorage.setItem("clinscribe.signout-reason", "Your session has ended; please sign in again.");
    route();
  }
});

document.getElementById("signout").addEventListener("click", async () => {
  state.me = null;
  await api.logout();
  sessionStorage.setItem("clinscribe.signout-reason", "You have signed out.");
  if (location.hash !== "#/signin") location.hash = "#/signin";
  else route();
});

// The skip link must not change the fragment (that is the router's).
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  main().focus();
});

// Sensitive actions may answer mfa_required: ask for a code, then the action is retried.
api.onStepUp(() => import("./views/mfa.js").then((v) => v.stepUpDialog()));
api.onEnrolmentRequired(() => {
  state.mfaPending = true;
  if (location.hash !== "#/mfa") location.hash = "#/mfa";
});

window.addEventListener("hashchange", route);
route();
