// Confirmation before irreversible steps: any form with data-confirm asks first.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // Guard against double submission: disable the submit buttons once the form is on its way.
  if (!event.defaultPrevented) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }
});
