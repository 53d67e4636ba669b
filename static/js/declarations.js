// Declaration pages: add and remove item/container rows in place, and print the receipt.
// Without this script the same form works with its "Add another" submit buttons and "Remove" boxes.
(function () {
  "use strict";

  function renumber(formset) {
    let number = 0;
    formset.querySelectorAll("[data-formset-row]").forEach((row) => {
      if (row.hidden) return;
      number += 1;
      const label = row.querySelector("[data-row-number]");
      if (label) label.textContent = String(number);
    });
  }

  function enhanceRow(row) {
    const box = row.querySelector("[data-formset-remove-box]");
    const button = row.querySelector("[data-formset-remove]");
    if (!box || !button) return;
    box.hidden = true;
    button.hidden = false;
    if (box.querySelector("input[type=checkbox]").checked) row.hidden = true;
    button.addEventListener("click", () => {
      const checkbox = box.querySelector("input[type=checkbox]");
      checkbox.checked = true;
      const formset = row.closest("[data-formset]");
      row.hidden = true;
      renumber(formset);
      const next = formset.querySelector("[data-formset-row]:not([hidden]) input");
      const add = document.querySelector(`[data-formset-add="${formset.dataset.formset}"]`);
      (next || add).focus();
    });
  }

  function addRow(prefix) {
    const formset = document.querySelector(`[data-formset="${prefix}"]`);
    const template = document.getElementById(`${prefix}-empty-row`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    if (!formset || !template || !total) return false;
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const row = holder.firstElementChild;
    formset.appendChild(row);
    total.value = String(index + 1);
    enhanceRow(row);
    renumber(formset);
    const first = row.querySelector("input, select");
    if (first) first.focus();
    return true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-formset]").forEach((formset) => {
      formset.querySelectorAll("[data-formset-row]").forEach(enhanceRow);
      renumber(formset);
    });
    document.querySelectorAll("[data-formset-add]").forEach((button) => {
      button.addEventListener("click", (event) => {
        if (addRow(button.dataset.formsetAdd)) event.preventDefault();
      });
    });
    // A link of the error summary puts the cursor in the input it names, not only scrolls to it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
      link.addEventListener("click", (event) => {
        const target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
        history.replaceState(null, "", link.getAttribute("href"));
      });
    });
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    });
  });
})();
