// 群众意见 form on the public village card: posts in place with fetch and shows the server's answer
// (thanks, or the Chinese reason it was refused). The card is cached for everybody, so the CSRF token in
// it may be someone else's: a fresh one is fetched first. Without JS the form posts normally and the server
// redirects back to the card with a message.
(function () {
  "use strict";

  function setup(form) {
    const text = form.querySelector("textarea[name=text]");
    const count = form.querySelector(".feedback-count");
    const result = form.querySelector(".feedback-result");
    const button = form.querySelector("button[type=submit]");
    if (text && count) {
      text.addEventListener("input", function () {
        count.textContent = String(text.value.trim().length);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) {
        return; // a double tap sends one message
      }
      button.disabled = true;
      result.className = "feedback-result small mb-2";
      result.textContent = "正在提交…";
      // the card may come from a cache: take a CSRF token of this visitor's own first
      fetch(form.dataset.tokenUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : {};
        })
        .then(function (data) {
          const field = form.querySelector("input[name=csrfmiddlewaretoken]");
          if (data.token && field) {
            field.value = data.token;
          }
          return fetch(form.action, {
            method: "POST",
            body: new FormData(form),
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
        })
        .then(function (response) {
          return response.json().catch(function () {
            return { ok: false, message: "提交失败，请稍后再试。" };
          });
        })
        .then(function (data) {
          result.textContent = data.message;
          result.classList.add(data.ok ? "text-success" : "text-danger");
          if (data.ok) {
            form.reset();
            if (count) {
              count.textContent = "0";
            }
          }
        })
        .catch(function () {
          result.textContent = "网络异常，请稍后再试。";
          result.classList.add("text-danger");
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll("form.feedback-form").forEach(setup);
})();
