// 台账网页填报：“添加一行” clones the formset's empty row and bumps TOTAL_FORMS (no inline script: CSP).
(function () {
  const button = document.getElementById("ledger-add-row");
  const template = document.getElementById("ledger-empty-row");
  const body = document.querySelector("#ledger-rows tbody");
  if (!button || !template || !body) return;
  const prefix = button.dataset.prefix;
  const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  button.addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const first = body.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });
})();
