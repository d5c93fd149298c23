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
  if (window.htmx) window.htmx.process(container.lastElementChild);
  total.value = String(index + 1);
  const first = container.lastElementChild && container.lastElementChild.querySelector("input, select, textarea");
  if (first) first.focus();
});
// Upload progress: htmx posts the upload form (hx-encoding multipart) and reports how much of it has been sent.
document.addEventListener("htmx:xhr:progress", (event) => {
  const form = event.target.closest && event.target.closest("form[data-upload-progress]");
  if (!form || !event.detail.lengthComputable || !event.detail.total) return;
  const box = form.querySelector(".upload-progress");
  if (!box) return;
  const percent = Math.min(100, Math.round((100 * event.detail.loaded) / event.detail.total));
  box.hidden = false;
  box.querySelector("progress").value = percent;
  box.querySelector("[data-upload-percent]").textContent = `${percent} %`;
});
// Indicator rows: show only the input the chosen target type needs (all are shown without JavaScript).
function showTargetInputs(row) {
  const kind = row.querySelector("[data-target-input=target_kind]");
  if (!kind) return;
  const wanted = { value: "target_value", level: "target_level", rule: "target_rule" }[kind.value || "value"];
  for (const name of ["target_value", "target_level", "target_rule"]) {
    const input = row.querySelector(`[data-target-input=${name}]`);
    const field = input && input.closest(".field");
    if (field) field.hidden = name !== wanted;
  }
}
function showAllTargetInputs() {
  document.querySelectorAll("[data-indicator-row]").forEach(showTargetInputs);
}
document.addEventListener("DOMContentLoaded", showAllTargetInputs);
document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-add-row]")) showAllTargetInputs();
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-target-input=target_kind]")) showTargetInputs(event.target.closest("[data-indicator-row]"));
});
