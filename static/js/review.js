// 初审 page.
// 1. Preview: the score the ticked rules give, and whether a reason is needed (the server enforces both).
// 2. In-place saves: forms marked .review-inplace (scores, bonus claims, veto checks, the negative-list
//    bulk check, accept-remaining) are posted with fetch and answered with JSON; the server sends the
//    changed rows and the parts that depend on every line (totals, progress, buttons) rendered from the
//    page's own templates, which replace the old ones. No page load. Without JS the forms post normally.
// 3. Keyboard: Enter/Tab in a score box saves it (when changed) and moves to the next indicator's score
//    box, Shift+Tab to the previous one; Esc reverts the row to what is saved.
(function () {
  "use strict";

  // ---- 1. preview ---------------------------------------------------------------------------------------

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

  function scoreForm(element) {
    return element && element.closest ? element.closest("form.review-score-form") : null;
  }

  function changed(event) {
    const form = scoreForm(event.target);
    if (!form) {
      return;
    }
    const direct = form.querySelector(".score-value");
    // Ticking a rule means "score by the rules": the direct score box would otherwise win; typing a
    // direct score means "not by the rules": clear the counts so that the two never disagree.
    if (event.type === "input" && event.target.classList.contains("rule-input") && direct) {
      direct.value = "";
    } else if (event.type === "input" && event.target === direct && direct.value.trim() !== "") {
      form.querySelectorAll(".rule-input").forEach(function (input) {
        if (input.type === "number") {
          input.value = "0";
        } else {
          input.checked = false;
        }
      });
    }
    refresh(form);
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  document.querySelectorAll("form.review-score-form").forEach(refresh);

  // ---- 2. in-place saves --------------------------------------------------------------------------------

  function flash(text, ok) {
    const el = document.getElementById("review-flash");
    if (el) {
      el.textContent = text;
      el.className = "review-flash small ms-auto " + (ok ? "text-success" : "text-danger fw-semibold");
    }
  }

  function rowMessage(form, text, ok) {
    const el = form.querySelector(".row-msg");
    if (el) {
      el.textContent = text;
      el.className = "row-msg small ms-1 " + (ok ? "text-success" : "text-danger");
    }
  }

  // What the user is typing in a part that is about to be replaced (a 退回 reason, the bulk note).
  function typed(root) {
    const values = {};
    root.querySelectorAll("input[type=text], textarea").forEach(function (field) {
      if (field.value !== field.defaultValue && field.form) {
        values[field.form.getAttribute("action") + " " + field.name] = field.value;
      }
    });
    return values;
  }

  function replace(id, html) {
    const old = document.getElementById(id);
    if (!old) {
      return;
    }
    const keep = typed(old);
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    old.replaceWith(fresh);
    fresh.querySelectorAll("input[type=text], textarea").forEach(function (field) {
      const key = field.form && field.form.getAttribute("action") + " " + field.name;
      if (key && keep[key] !== undefined && field.value === field.defaultValue) {
        field.value = keep[key];
      }
    });
    fresh.querySelectorAll("form.review-score-form").forEach(refresh);
  }

  function apply(body) {
    Object.keys(body.rows || {}).forEach(function (id) {
      replace(id, body.rows[id]);
    });
    Object.keys(body.parts || {}).forEach(function (key) {
      replace("review-" + key, body.parts[key]);
    });
    const autostart = document.getElementById("review-autostart");
    if (autostart && body.status !== "forwarded") {
      autostart.remove();
    }
  }

  let saves = 0;

  function save(form, submitter) {
    const data = submitter ? new FormData(form, submitter) : new FormData(form);
    const buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    rowMessage(form, "保存中…", true);
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return body; });
      })
      .then(function (body) {
        if (body.ok) {
          saves += 1;
          document.body.dataset.reviewSaves = String(saves);
          apply(body);
          flash(body.message, true);
          if (document.body.contains(form)) {
            rowMessage(form, "已保存", true);
          }
          return true;
        }
        let text = (body.errors || []).join("；");
        if (body.conflict && body.version) {
          // The stored value is in the message; a second save is a deliberate overwrite.
          const version = form.querySelector("input[name=version]");
          if (version) {
            version.value = body.version;
          }
          text += " 如仍以您填写的内容为准，请再次保存。";
        }
        rowMessage(form, text, false);
        flash(text, false);
        return false;
      })
      .catch(function () {
        rowMessage(form, "网络异常，本项未保存，请重试。", false);
        flash("网络异常，本项未保存，请重试。", false);
        return false;
      })
      .finally(function () {
        buttons.forEach(function (b) { b.disabled = false; });
      });
  }

  // Capture phase: runs before app.js's generic submit handler (which would confirm a second time and
  // disable the buttons for a page load that never comes).
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (!form.classList || !form.classList.contains("review-inplace") || !window.fetch) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      const message = form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        return;
      }
      save(form, event.submitter);
    },
    true
  );

  // ---- 3. keyboard --------------------------------------------------------------------------------------

  function dirty(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      return (field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.type !== "hidden" &&
        field.value !== field.defaultValue;
    });
  }

  function move(from, step) {
    const boxes = Array.prototype.slice.call(document.querySelectorAll("form.review-score-form .score-value"));
    const next = boxes[boxes.indexOf(from) + step];
    if (next) {
      next.focus();
      next.select();
      next.scrollIntoView({ block: "center" });
    }
    return next;
  }

  document.addEventListener("keydown", function (event) {
    const field = event.target;
    const form = scoreForm(field);
    if (!form) {
      return;
    }
    if (event.key === "Escape") {
      form.reset();
      refresh(form);
      rowMessage(form, "已撤销未保存的修改", true);
      return;
    }
    const box = form.querySelector(".score-value");
    const entry = field === box || field.classList.contains("rule-input") || field.name === "reason";
    let step = 0;
    if (event.key === "Enter" && !event.shiftKey && entry) {
      step = 1;
    } else if (event.key === "Tab" && field === box) {
      step = event.shiftKey ? -1 : 1;
    }
    if (!step) {
      return;
    }
    event.preventDefault();
    if (dirty(form)) {
      const reason = form.querySelector("textarea[name=reason]");
      refresh(form);
      if (reason && reason.required && !reason.value.trim()) {
        // The score differs from the village's: the reason comes first, then Enter saves and moves on.
        reason.focus();
        const hint = form.querySelector(".reason-hint");
        if (hint) {
          hint.classList.remove("d-none");
        }
        return;
      }
      save(form);
    }
    move(box, step);
  });
})();
