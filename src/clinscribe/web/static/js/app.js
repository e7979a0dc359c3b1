// Entry point: sign-in, the hash router and the page chrome.
import * as api from "./api.js";
import { clear, field, flash, h, showError, busy } from "./dom.js";

const routes = [
  [/^#\/patients\/([\w-]+)$/, (m) => import("./views/patients.js").then((v) => v.patientPage(m[1]))],
  [/^#\/patients$/, () => import("./views/patients.js").then((v) => v.patientsPage())],
  [/^#\/encounters\/([\w-]+)$/, (m) => import("./views/encounter.js").then((v) => v.encounterPage(m[1]))],
  [/^#\/notes\/([\w-]+)$/, (m) => import("./views/note.js").then((v) => v.notePage(m[1]))],
  [/^#\/admin\/(\w[\w-]*)$/, (m) => import("./views/admin.js").then((v) => v.adminPage(m[1]))],
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

function signInPage(message) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    message ? h("p", { class: "notice" }, message) : null,
    field("Email", email),
    field("Password", password),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      await api.login(email.value.trim(), password.value);
      password.value = "";
      await loadMe();
      if (!location.hash || location.hash.startsWith("#/signin")) location.hash = "#/patients";
      else route();
    });
  });
  const issuer = document.body.dataset.oidcIssuer;
  const sso = issuer
    ? h("p", { class: "card narrow" }, h("a", { href: issuer, class: "button" }, "Sign in with your organisation (single sign-on)"))
    : null;
  clear(main()).append(form, sso || "");
  email.focus();
}

async function loadMe() {
  state.me = await api.get("/me").catch((error) => {
    if (error.status === 403) return { role: "api", email: "API key" };
    throw error;
  });
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

function adoptOidcFragment() {
  // Single sign-on providers may return an access token in the fragment (implicit flow).
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("access_token");
  if (token) {
    api.adoptToken(token, Number(params.get("expires_in")) || 300);
    history.replaceState(null, "", location.pathname + "#/patients");
  }
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

window.addEventListener("hashchange", route);
adoptOidcFragment();
route();
