// Small progressive enhancements; the app works without JavaScript. No inline scripts (CSP).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});
document.addEventListener("htmx:afterRequest", (event) => {
  const status = document.getElementById("autosave-status");
  if (status && event.detail.elt && event.detail.elt.matches("form[data-autosave]") && !event.detail.successful) {
    status.textContent = status.dataset.failed || "Not saved";
  }
});
// Add-a-row for formsets: clones the empty form template, renumbering __prefix__.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-add-row]");
  if (!button) return;
  event.preventDefault();
  const prefix = button.dataset.addRow;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const container = document.getElementById(`${prefix}-rows`);
  const index = parseInt(total.value, 10);
  const html = template.innerHTML.replaceAll("__prefix__", String(index));
  container.insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
  const first = container.lastElementChild && container.lastElementChild.querySelector("input, select, textarea");
  if (first) first.focus();
});
