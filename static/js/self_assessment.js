// 自评表: a guided sheet. Without JavaScript every step is shown and every block is an ordinary form; here
// the sheet becomes one step at a time (五清 dimensions, 加分项, 负面清单, 申请表与签署), each indicator opens
// collapsed with a one-tap "无扣分情形（得满分）", blocks save in place with fetch (one request at a time
// on the sheet, so the version sent is always the latest one received), evidence uploads show their progress,
// and the sticky bar (已完成 N/M, the total, 提交自评 and the 提交前检查 list) follows every save.
(function () {
  "use strict";

  const sheet = document.getElementById("sheet");

  function fmt(n) {
    return String(Math.round(n * 100) / 100);
  }

  function csrf(form) {
    const token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  // --- the score the ticked rules give, shown live ---------------------------------------------------

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

  // The stored rule choice (as the server answered it) back into the inputs, e.g. after 得满分.
  function applyRules(form, rules) {
    if (rules === undefined || rules === null) {
      return;
    }
    form.querySelectorAll(".rule-input").forEach(function (input) {
      const id = input.dataset.rule;
      if (Array.isArray(rules)) {
        input.checked = rules.map(String).indexOf(id) !== -1;
      } else if (input.type === "checkbox") {
        input.checked = Boolean(rules[id]);
      } else {
        input.value = rules[id] ? rules[id] : "";
      }
    });
    refresh(form);
  }

  function setStatus(form, text, tone) {
    const el = form.querySelector(".js-status");
    if (el) {
      el.textContent = text;
      el.className = "small js-status text-" + tone;
    }
  }

  // --- the bar: totals, N/M, the check list and whether 提交自评 may be pressed ----------------------------

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

  function applyCheck(check) {
    if (!check) {
      return;
    }
    const done = document.getElementById("sheet-done");
    const todo = document.getElementById("sheet-todo");
    const progress = document.getElementById("sheet-progress");
    if (done) {
      done.textContent = check.done;
    }
    if (todo) {
      todo.textContent = check.todo;
    }
    if (progress) {
      progress.max = check.todo;
      progress.value = check.done;
      progress.setAttribute("aria-label", "已完成 " + check.done + "/" + check.todo);
    }
    document.querySelectorAll(".js-submit-check").forEach(function (el) {
      el.innerHTML = check.check_html; // rendered by the server from the submit guards
    });
    const count = document.getElementById("sheet-check-count");
    if (count) {
      const open = document.querySelectorAll("#submit-check .submit-check > li").length;
      count.textContent = check.ready ? "✓" : String(open);
      count.className = "badge " + (check.ready ? "text-bg-success" : "text-bg-danger");
    }
    document.querySelectorAll("button.js-submit").forEach(function (button) {
      button.disabled = !check.ready;
    });
    countSteps();
  }

  // --- steps --------------------------------------------------------------------------------------------

  const steps = sheet ? Array.prototype.slice.call(sheet.querySelectorAll(".sheet-step")) : [];

  function countSteps() {
    steps.forEach(function (step) {
      const out = document.querySelector('[data-step-count="' + step.id + '"]');
      if (!out) {
        return;
      }
      let items = step.querySelectorAll(".indicator-block[data-scored]");
      let done = step.querySelectorAll('.indicator-block[data-scored]:not([data-state="none"])').length;
      if (!items.length) {
        items = step.querySelectorAll("form.js-veto");
        done = step.querySelectorAll("form.js-veto[data-answered]").length;
      }
      out.textContent = done + "/" + items.length;
      out.classList.toggle("is-complete", items.length > 0 && done === items.length);
    });
  }

  function showStep(step) {
    if (!step || !sheet.classList.contains("is-stepped")) {
      return;
    }
    steps.forEach(function (other) {
      other.classList.toggle("is-current", other === step);
    });
    document.querySelectorAll("[data-step-link]").forEach(function (link) {
      if (link.dataset.stepLink === step.id) {
        link.setAttribute("aria-current", "step");
        // Bring the tab into the middle of the strip on a phone without scrolling the page.
        const strip = link.closest(".sheet-steps");
        const li = link.parentElement;
        if (strip && strip.scrollWidth > strip.clientWidth) {
          strip.scrollLeft = li.offsetLeft - strip.offsetLeft - (strip.clientWidth - li.offsetWidth) / 2;
        }
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  function stepOf(el) {
    return el ? el.closest(".sheet-step") : null;
  }

  // Open the step that holds an item (a link of the check list, a #anchor after a reload) and show the item.
  function goTo(id) {
    const target = id ? document.getElementById(id) : null;
    if (!target) {
      return false;
    }
    const step = target.classList.contains("sheet-step") ? target : stepOf(target);
    showStep(step);
    const details = document.getElementById("submit-check");
    if (details) {
      details.open = false;
    }
    const where = target.classList.contains("sheet-step") ? sheet : target;
    where.scrollIntoView({ block: where === sheet ? "start" : "center" });
    if (target !== step) {
      target.classList.add("is-target");
      window.setTimeout(function () {
        target.classList.remove("is-target");
      }, 2500);
    }
    return true;
  }

  function setUpSteps() {
    if (!sheet || steps.length < 2) {
      return;
    }
    sheet.classList.add("is-stepped");
    steps.forEach(function (step, i) {
      const foot = step.querySelector(".sheet-step-foot");
      if (!foot) {
        return;
      }
      foot.hidden = false;
      const prev = foot.querySelector(".js-prev");
      const next = foot.querySelector(".js-next");
      if (i === 0) {
        prev.hidden = true;
      } else {
        prev.addEventListener("click", function () {
          goTo(steps[i - 1].id);
        });
      }
      if (i === steps.length - 1) {
        next.hidden = true;
      } else {
        next.textContent = "下一步：" + steps[i + 1].dataset.step;
        next.addEventListener("click", function () {
          goTo(steps[i + 1].id);
        });
      }
    });
    const first = steps[0];
    if (!goTo(window.location.hash.slice(1))) {
      showStep(first);
    }
    countSteps();
    // Fonts change the tabs' widths: centre the current one again once everything is in.
    window.addEventListener("load", function () {
      showStep(sheet.querySelector(".sheet-step.is-current"));
    });
    // In-page links (the step list, the check list) open their step instead of jumping into a hidden one.
    document.addEventListener("click", function (event) {
      const link = event.target.closest('a[href^="#"]');
      if (!link || !sheet.contains(link) && !link.closest("#sheet-bar")) {
        return;
      }
      if (goTo(link.getAttribute("href").slice(1))) {
        event.preventDefault();
      }
    });
  }

  // --- collapsed indicators -----------------------------------------------------------------------------

  function setPanel(block, panel, open) {
    block.classList.toggle("show-" + panel, open);
    const button = block.querySelector('.js-open[data-panel="' + panel + '"]');
    if (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.classList.toggle("active", open);
    }
  }

  function setUpBlocks() {
    document.querySelectorAll(".indicator-block").forEach(function (block) {
      const openers = block.querySelectorAll(".js-open");
      if (!openers.length) {
        return; // read-only: every part stays shown
      }
      block.classList.add("is-collapsible");
      openers.forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          setPanel(block, button.dataset.panel, !block.classList.contains("show-" + button.dataset.panel));
        });
      });
    });
  }

  function applyState(block, data) {
    if (!block || !data.state) {
      return;
    }
    block.dataset.state = data.state;
    const badge = block.querySelector(".js-state");
    if (badge) {
      badge.textContent = data.state_label;
      badge.className = "badge ind-state ind-state-" + data.state + " js-state";
    }
    const full = block.querySelector(".js-full");
    if (full) {
      const isFull = data.state === "full";
      full.classList.toggle("btn-success", isFull);
      full.classList.toggle("btn-outline-success", !isFull);
      full.setAttribute("aria-pressed", isFull ? "true" : "false");
    }
  }

  // --- saving a block in place --------------------------------------------------------------------------

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
    setStatus(form, "正在保存…", "muted");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest", "X-CSRFToken": csrf(form) },
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
      if (block) {
        applyRules(form, data.rules);
        applyState(block, data);
      }
      if (form.classList.contains("js-veto")) {
        form.dataset.answered = "";
      }
      applyTotals(data.totals);
      applyCheck(data.check);
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

  // One save at a time for the whole sheet: each answer carries the check list as the server saw it
  // after that save, so answers arriving in order keep the bar from showing an older state last.
  let queue = Promise.resolve();
  function enqueue(form, submitter) {
    queue = queue.then(function () {
      return save(form, submitter);
    });
    return queue;
  }

  document.querySelectorAll("form.js-autosave").forEach(function (form) {
    if (form.querySelector("fieldset[disabled]")) {
      return;
    }
    form.addEventListener("input", function (event) {
      if (event.target.type === "file") {
        return;
      }
      refresh(form);
      setStatus(form, "未保存", "muted");
    });
    form.addEventListener("change", function (event) {
      if (event.target.type === "file") {
        return;
      }
      refresh(form);
      enqueue(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      enqueue(form, event.submitter);
    });
  });
  document.querySelectorAll("form.js-score").forEach(refresh);

  // 负面清单: one tap answers 否 for every item (each still saved through its own form and version).
  const noneButton = document.getElementById("vetoes-none");
  if (noneButton) {
    noneButton.closest(".js-only").hidden = false;
    noneButton.addEventListener("click", function () {
      const forms = Array.prototype.slice.call(document.querySelectorAll("form.js-veto"));
      const yes = forms.filter(function (form) {
        const r = form.querySelector("input[name=answer][value=yes]");
        return r && r.checked;
      });
      if (yes.length && !window.confirm("有 " + yes.length + " 项已选“是”，确定全部改为“否”吗？")) {
        return;
      }
      forms.forEach(function (form) {
        const no = form.querySelector("input[name=answer][value=no]");
        if (no && !(no.checked && form.hasAttribute("data-answered"))) {
          no.checked = true;
          enqueue(form);
        }
      });
    });
  }

  // --- evidence: camera or file choice, uploaded at once with a progress bar ------------------------------

  function upload(form, input) {
    const files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      return;
    }
    const body = new FormData();
    form.querySelectorAll("input[type=hidden]").forEach(function (hidden) {
      body.append(hidden.name, hidden.value);
    });
    files.forEach(function (file) {
      body.append("files", file, file.name);
    });
    const bar = form.querySelector(".upload-progress");
    const status = form.querySelector(".js-upload-status");
    const inputs = form.querySelectorAll(".upload-input");
    function say(text, tone) {
      status.textContent = text;
      status.className = "small js-upload-status text-" + tone;
    }
    inputs.forEach(function (i) {
      i.disabled = true;
    });
    bar.hidden = false;
    bar.value = 0;
    say("正在上传 " + files.length + " 个文件…", "muted");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", csrf(form));
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        bar.value = Math.round((event.loaded / event.total) * 100);
        say("正在上传… " + bar.value + "%", "muted");
      }
    });
    xhr.addEventListener("loadend", function () {
      inputs.forEach(function (i) {
        i.disabled = false;
        i.value = "";
      });
      bar.hidden = true;
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (e) {
        data = null;
      }
      if (!data) {
        say(xhr.status ? "上传失败（可能已登录超时），请刷新页面后重试。" : "网络异常，未上传。请检查网络后重试。", "danger");
        return;
      }
      const holder = form.parentElement.querySelector(".js-files");
      if (holder && data.files_html !== undefined) {
        holder.innerHTML = data.files_html;
        const block = form.closest(".indicator-block");
        const count = block ? block.querySelector(".js-file-count") : null;
        if (count) {
          count.textContent = holder.querySelectorAll(".evidence-list > li").length;
        }
      }
      applyCheck(data.check);
      const uploaded = (data.uploaded || []).length;
      const errors = data.errors || [];
      const parts = [];
      if (uploaded) {
        parts.push("已上传 " + uploaded + " 个文件（" + now() + "）。");
      }
      say(parts.concat(errors).join(" "), errors.length ? "danger" : "success");
    });
    xhr.send(body);
  }

  document.querySelectorAll("form.evidence-upload").forEach(function (form) {
    const submit = form.querySelector(".js-upload-submit");
    if (submit) {
      submit.hidden = true; // files go up as soon as they are picked
    }
    form.querySelectorAll(".upload-input").forEach(function (input) {
      input.addEventListener("change", function () {
        upload(form, input);
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelectorAll(".upload-input").forEach(function (input) {
        upload(form, input);
      });
    });
  });

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

  setUpBlocks();
  setUpSteps();
})();
