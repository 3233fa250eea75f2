// Export jobs: poll each running job's status, move its progress bar, reload when it finishes.
(function () {
  function setBar(box, progress) {
    const bar = box.querySelector("[data-progress-bar]");
    if (!bar) return;
    bar.style.width = Math.max(progress, 3) + "%";
    bar.textContent = progress + "%";
    const outer = bar.parentElement;
    if (outer) outer.setAttribute("aria-valuenow", String(progress));
  }

  function poll(box) {
    const url = box.getAttribute("data-job-status-url");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (job) {
        setBar(box, job.progress);
        const step = box.querySelector("[data-progress-step]");
        if (step) step.textContent = job.status_label + "：" + job.step;
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(box); }, 1000);
        }
      })
      .catch(function () {
        const step = box.querySelector("[data-progress-step]");
        if (step) step.textContent = "暂时无法获取进度，稍后自动重试…";
        window.setTimeout(function () { poll(box); }, 5000);
      });
  }

  document.querySelectorAll("[data-job-status-url]").forEach(function (box) {
    const outer = box.querySelector(".progress");
    setBar(box, parseInt(outer ? outer.getAttribute("aria-valuenow") : "0", 10) || 0);
    window.setTimeout(function () { poll(box); }, 800);
  });
})();
