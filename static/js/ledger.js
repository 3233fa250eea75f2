// 台账网页填报：“添加一行” clones the formset's empty row block and bumps TOTAL_FORMS (no inline script: CSP).
(function () {
  const button = document.getElementById("ledger-add-row");
  const template = document.getElementById("ledger-empty-row");
  const rows = document.getElementById("ledger-rows");
  if (!button || !template || !rows) return;
  const prefix = button.dataset.prefix;
  const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  button.addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = rows.lastElementChild;
    const legend = added.querySelector("legend");
    if (legend) legend.textContent = "第 " + (index + 1) + " 行（新增）";
    const first = added.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });
})();
