// 自评表: the score the ticked rules give, shown live, and save-as-you-go for each small block.
// Every block is an ordinary form that also works without JavaScript; here it is posted with fetch on
// change, one request at a time per block so the version sent is always the latest one received.
(function () {
  "use strict";

  function fmt(n) {
    return String(Math.round(n * 100) / 100);
  }

  function computed(form) {
    const inputs = form.querySelectorAll(".rule-input");
    if (!inputs.length) {
      return null;
    }
    const method = form.dataset.method;
    const max = parseFloat(form.dataset.max);
    let total = 0;
    let picked = false;
    inputs.forEach(function (input) {
      const points = parseFloat(input.dataset.points) || 0;
      if (method === "deduction") {
        const count = input.type === "checkbox" ? (input.checked ? 1 : 0) : parseInt(input.value, 10) || 0;
        total += points * Math.max(count, 0);
      } else if (input.checked) {
        total += points;
        picked = true;
      }
    });
    if (method === "deduction") {
      return Math.max(max - total, 0);
    }
    if (method === "tiered") {
      return picked ? total : null;
    }
    return Math.min(total, max);
  }

  function refresh(form) {
    const shown = form.querySelector(".js-computed");
    if (shown) {
      const value = computed(form);
      shown.textContent = value === null ? "—" : fmt(value);
    }
  }

  function setStatus(form, text, tone) {
    const el = form.querySelector(".js-status");
    if (el) {
      el.textContent = text;
      el.className = "small js-status text-" + tone;
    }
  }

  function applyTotals(totals) {
    if (!totals) {
      return;
    }
    document.querySelectorAll("[data-total]").forEach(function (el) {
      const value = totals[el.dataset.total];
      if (value !== undefined) {
        el.textContent = value;
      }
    });
    Object.keys(totals.dimensions || {}).forEach(function (id) {
      document.querySelectorAll('[data-dim-total="' + id + '"]').forEach(function (el) {
        el.textContent = totals.dimensions[id];
      });
    });
  }

  function setVersion(form, version) {
    const input = form.querySelector("input[name=version]");
    if (input && version !== undefined && version !== null) {
      input.value = version;
    }
  }

  function now() {
    const d = new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  async function save(form, submitter) {
    const body = submitter ? new FormData(form, submitter) : new FormData(form);
    const token = form.querySelector("input[name=csrfmiddlewaretoken]");
    setStatus(form, "正在保存…", "muted");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest", "X-CSRFToken": token ? token.value : "" },
      });
    } catch (e) {
      setStatus(form, "网络异常，未保存。请检查网络后再次保存。", "danger");
      return;
    }
    let data;
    try {
      data = await response.json();
    } catch (e) {
      setStatus(form, "保存失败（可能已登录超时），请刷新页面后重试。", "danger");
      return;
    }
    if (response.ok && data.ok) {
      setVersion(form, data.version);
      const block = form.closest(".indicator-block");
      const stored = block ? block.querySelector(".js-stored") : null;
      if (stored && "score" in data) {
        stored.textContent = data.score === null ? "—" : data.score;
      }
      applyTotals(data.totals);
      setStatus(form, "已保存 " + now(), "success");
      return;
    }
    if (response.status === 409 && data.conflict) {
      // Keep the user's input on screen next to the stored value; a further save is a deliberate overwrite.
      setVersion(form, data.current ? data.current.version : undefined);
      setStatus(form, data.message, "danger");
      return;
    }
    setStatus(form, (data.errors || ["保存失败。"]).join("；"), "danger");
  }

  function enqueue(form, submitter) {
    form._qlQueue = (form._qlQueue || Promise.resolve()).then(function () {
      return save(form, submitter);
    });
  }

  document.querySelectorAll("form.js-autosave").forEach(function (form) {
    if (form.querySelector("fieldset[disabled]")) {
      return;
    }
    form.addEventListener("input", function () {
      refresh(form);
      setStatus(form, "未保存", "muted");
    });
    form.addEventListener("change", function () {
      refresh(form);
      enqueue(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      enqueue(form, event.submitter);
    });
  });
  document.querySelectorAll("form.js-score").forEach(refresh);

  // Characters left in length-limited text (主要做法与成效 ≤ 1,500 字).
  document.querySelectorAll(".js-counter").forEach(function (counter) {
    const field = document.getElementById(counter.dataset.countFor);
    const limit = parseInt(counter.dataset.limit, 10);
    if (!field) {
      return;
    }
    function update() {
      const used = field.value.replace(/\r\n/g, "\n").trim().length;
      counter.textContent = "已输入 " + used + " / " + limit + " 字";
      counter.classList.toggle("text-danger", used > limit);
    }
    field.addEventListener("input", update);
    update();
  });
})();
