// The console's one script: warn before the session ends and let the officer extend it (KWCAG 2.2.1).
// Progressive enhancement only: every page works without it.
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

  document.addEventListener("DOMContentLoaded", function () {
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
