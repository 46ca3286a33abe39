// The console's one script: warn before the session ends and let the officer extend it (KWCAG 2.2.1),
// and move a print job's progress bar. Progressive enhancement only: every page works without it.
(function () {
  "use strict";

  function schedule(banner) {
    var warnAt = Date.parse(banner.getAttribute("data-warn-at"));
    var delay = warnAt - Date.now();
    if (isNaN(delay)) {
      return;
    }
    window.setTimeout(function () {
      banner.hidden = false;
    }, Math.max(delay, 0));
  }

  function extend(banner) {
    // Any request extends the session; this one answers the new times.
    fetch("/api/v1/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        return answer.ok ? answer.json() : null;
      })
      .then(function (status) {
        if (!status) {
          window.location.assign("/console/login");
          return;
        }
        banner.hidden = true;
        banner.setAttribute("data-warn-at", status.warn_at);
        schedule(banner);
      });
  }

  // A running print job: ask its status every second; when it ends, show the page's final state.
  function followPrintJob(job) {
    var bar = document.getElementById("print-progress");
    function poll() {
      fetch(job.getAttribute("data-status-url"), { credentials: "same-origin" })
        .then(function (answer) {
          return answer.ok ? answer.json() : null;
        })
        .then(function (status) {
          if (!status) {
            return;
          }
          if (status.state !== "running") {
            window.location.reload();
            return;
          }
          bar.value = status.percent;
          bar.textContent = status.percent + "%";
          window.setTimeout(poll, 1000);
        });
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var job = document.getElementById("print-job");
    if (job && job.getAttribute("data-state") === "running") {
      followPrintJob(job);
    }
    var banner = document.getElementById("session-warning");
    var button = document.getElementById("session-extend");
    if (!banner || !button) {
      return;
    }
    button.addEventListener("click", function () {
      extend(banner);
    });
    schedule(banner);
  });
})();
