// 初审 page: show the score the ticked rules give and ask for a reason when it differs from the self score.
// The server enforces the same rule; this only tells the reviewer before they press 保存.
(function () {
  function computed(form) {
    const direct = form.querySelector(".score-value");
    if (direct && direct.value.trim() !== "") {
      return parseFloat(direct.value);
    }
    const inputs = form.querySelectorAll(".rule-input");
    if (!inputs.length) {
      return null;
    }
    const method = form.dataset.method;
    const max = parseFloat(form.dataset.max);
    let total = 0;
    let picked = false;
    inputs.forEach(function (input) {
      const points = parseFloat(input.dataset.points);
      if (method === "deduction") {
        total += points * (parseInt(input.value, 10) || 0);
      } else if (input.checked) {
        total += points;
        picked = true;
      }
    });
    if (method === "deduction") {
      return Math.max(max - total, 0);
    }
    if (method === "tiered" && !picked) {
      return null;
    }
    return Math.min(total, max);
  }

  function refresh(form) {
    const value = computed(form);
    const shown = form.querySelector(".computed");
    if (shown) {
      shown.textContent = value === null ? "" : "将保存为 " + (Math.round(value * 100) / 100) + " 分";
    }
    const reason = form.querySelector("textarea[name=reason]");
    const hint = form.querySelector(".reason-hint");
    if (!reason || form.dataset.townshipOnly === "1") {
      return;
    }
    const self = form.dataset.self === "" ? null : parseFloat(form.dataset.self);
    const needed = value !== null && (self === null || Math.abs(value - self) > 0.001);
    reason.required = needed;
    if (hint) {
      hint.classList.toggle("d-none", !needed || reason.value.trim() !== "");
    }
  }

  document.querySelectorAll("form.review-score-form").forEach(function (form) {
    const direct = form.querySelector(".score-value");
    function changed(event) {
      // Ticking a rule means "score by the rules": the direct score box would otherwise win.
      if (direct && event.target.classList.contains("rule-input")) {
        direct.value = "";
      }
      refresh(form);
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    refresh(form);
  });
})();
