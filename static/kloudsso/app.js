// Copy buttons, the organization picker, the SAML form's "way in" panels and the SAML HTTP-POST binding's form.
// Pages work without it (the POST binding's form then waits for its Continue button). The Content-Security-Policy
// allows no inline script, so all of it lives here.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const text = source ? source.textContent.trim() : "";
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});

document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
});

function showSourcePanels(form) {
  const checked = form.querySelector("input[name=source]:checked");
  const current = checked ? checked.value : "xml";
  form.querySelectorAll(".source-panel").forEach((panel) => {
    panel.hidden = panel.dataset.source !== current;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-submit-on-load]").forEach((form) => form.submit());
  document.querySelectorAll("[data-saml-form]").forEach((form) => {
    showSourcePanels(form);
    form.addEventListener("change", (event) => {
      if (event.target.name === "source") showSourcePanels(form);
    });
  });
});

// A setup link carries its token in the URL's fragment, which browsers never send: post it, then drop it from the
// address bar and the history.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-setup-token]");
  const token = window.location.hash.slice(1);
  if (!form || !token) return;
  history.replaceState(null, "", window.location.pathname);
  form.querySelector("input[name=token]").value = token;
  form.submit();
});
