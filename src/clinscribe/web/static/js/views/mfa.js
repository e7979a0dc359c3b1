// Second factor: enrolment (QR code, first code, recovery codes shown once), removal, the
// sign-in code prompt and the step-up prompt an action asks for.
import * as api from "../api.js";
import { state } from "../app.js";
import { busy, clear, field, flash, h } from "../dom.js";

function codeInput(name = "code") {
  return h("input", { name, inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: 6, required: true });
}

// The proof a form gives: six digits, or (when the box is ticked) a recovery code.
function proofFields() {
  const code = codeInput();
  const useRecovery = h("input", { type: "checkbox", name: "use-recovery" });
  const recovery = h("input", { name: "recovery_code", autocomplete: "off", maxlength: 20 });
  const recoveryField = field("Recovery code", recovery);
  recoveryField.hidden = true;
  useRecovery.addEventListener("change", () => {
    recoveryField.hidden = !useRecovery.checked;
    code.closest(".field")?.toggleAttribute("hidden", useRecovery.checked);
    code.required = !useRecovery.checked;
    recovery.required = useRecovery.checked;
  });
  const proof = () => (useRecovery.checked ? { recovery_code: recovery.value.trim() } : { code: code.value.trim() });
  const controls = [
    field("Authentication code", code, "Six digits from your authenticator app"),
    h("label", { class: "check" }, useRecovery, " Use a recovery code instead"),
    recoveryField,
  ];
  return { controls, proof, focus: () => code.focus() };
}

// Sign-in's second step; resolves once the session is stored.
export function codePrompt(container, mfaToken) {
  return new Promise((resolve) => {
    const { controls, proof, focus } = proofFields();
    const submit = h("button", { type: "submit" }, "Verify");
    const form = h("form", { class: "card narrow", id: "mfa-signin", "aria-labelledby": "mfa-title" }, h("h1", { id: "mfa-title" }, "Two-step verification"), controls, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, async () => {
        await api.verifyMfa(mfaToken, proof());
        resolve();
      });
    });
    clear(container).append(form);
    focus();
  });
}

// A sensitive action answered mfa_required: ask for a code in a dialog, store the fresh session.
export function stepUpDialog() {
  return new Promise((resolve, reject) => {
    const { controls, proof, focus } = proofFields();
    const submit = h("button", { type: "submit" }, "Confirm");
    const cancel = h("button", { type: "button" }, "Cancel");
    const dialog = h("dialog", { id: "step-up", "aria-labelledby": "step-up-title" });
    const form = h("form", { class: "grid" }, h("h2", { id: "step-up-title" }, "Confirm it is you"), h("p", {}, "This action needs a current code from your authenticator app."), controls, submit, cancel);
    dialog.append(form);
    document.body.append(dialog);
    const done = (ok) => {
      dialog.close();
      dialog.remove();
      if (ok) resolve();
      else reject(new api.ApiError(401, "mfa_required", "This action needs a code from your authenticator app."));
    };
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", () => done(false));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, async () => {
        api.adopt(await api.request("/auth/mfa/step-up", { method: "POST", json: proof(), steppedUp: true }));
        done(true);
      });
    });
    dialog.showModal();
    focus();
  });
}

// #/mfa: enrol (or remove) this user's second factor.
export async function mfaPage() {
  const main = document.getElementById("main");
  const status = await api.get("/auth/mfa");
  const card = h("section", { class: "card narrow", id: "mfa-card" });
  clear(main).append(h("h1", {}, "Two-step verification"), card);
  if (status.enrolled) return removeForm(card);
  card.append(
    status.required ? h("p", { class: "notice", role: "alert" }, "Your organisation requires two-step verification for your role. Set it up to continue.") : null,
    h("p", {}, "Use an authenticator app (any that supports TOTP) to add a second step to your sign-in."),
  );
  const start = h("button", { type: "button", id: "mfa-start" }, "Set up");
  start.addEventListener("click", () => busy(start, () => enrolSteps(card)));
  card.append(start);
}

async function enrolSteps(card) {
  const enrolment = await api.post("/auth/mfa/enrol");
  const code = codeInput();
  const submit = h("button", { type: "submit" }, "Turn on");
  const form = h("form", { class: "grid", id: "mfa-confirm" }, field("Code from the app", code), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const confirmed = await api.post("/auth/mfa/confirm", { code: code.value.trim() });
      api.adopt(confirmed.session);
      state.mfaPending = false;
      showRecoveryCodes(card, confirmed.recovery_codes);
    });
  });
  clear(card).append(
    h("p", {}, "Scan this code with your authenticator app, then type the six digits it shows."),
    h("img", { src: enrolment.qr_code, alt: "QR code for your authenticator app", id: "mfa-qr", width: 200, height: 200 }),
    h("p", { class: "hint" }, "Cannot scan? Enter this key: ", h("code", { id: "mfa-secret" }, enrolment.secret)),
    form,
  );
  code.focus();
}

function showRecoveryCodes(card, codes) {
  const next = h("button", { type: "button", id: "mfa-done" }, "I have saved them");
  next.addEventListener("click", () => {
    location.hash = "#/patients";
  });
  clear(card).append(
    h("p", { role: "status" }, "Two-step verification is on."),
    h("p", {}, "Save these recovery codes somewhere safe. Each works once if you lose your phone. They are shown only now."),
    h("ul", { id: "recovery-codes", class: "codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    next,
  );
}

function removeForm(card) {
  const { controls, proof } = proofFields();
  const submit = h("button", { type: "submit" }, "Turn off");
  const form = h("form", { class: "grid" }, controls, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      await api.request("/auth/mfa", { method: "DELETE", json: proof() });
      flash("Two-step verification is off.");
      await mfaPage();
    });
  });
  card.append(h("p", {}, "Two-step verification is on. To turn it off, give a current code."), form);
}
