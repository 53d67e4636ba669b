// Harbour Single Window: small progressive enhancements; everything works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Submit the language switcher as soon as a language is chosen.
  const select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Move focus to the error summary so screen readers announce it.
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
