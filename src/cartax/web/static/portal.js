// The portal's progressive enhancement: every page works without this file.
(function () {
  "use strict";

  // A form button marked data-once is disabled after the first submit, so a double click sends one
  // request (the server is idempotent anyway: this only spares the person a second wait).
  function bindSubmitOnce() {
    document.querySelectorAll("form").forEach(function (form) {
      var button = form.querySelector("[data-once]");
      if (!button) {
        return;
      }
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          button.disabled = true;
          button.setAttribute("aria-disabled", "true");
        }, 0);
      });
    });
  }

  // Live status: the server pushes the rendered steps whenever the case moves (server-sent events).
  function bindLiveStatus() {
    var region = document.getElementById("live-status");
    if (!region || typeof window.EventSource === "undefined") {
      return;
    }
    var source = new window.EventSource(region.getAttribute("data-events"));
    source.addEventListener("status", function (event) {
      region.innerHTML = event.data;
      region.setAttribute("data-updated", "true");
    });
    source.addEventListener("end", function (event) {
      source.close();
      // The money arrived while the page was open: the feedback below is now about the whole journey.
      var step = document.querySelector('.feedback input[name="step"]');
      if (step && event.data === "reconciled") {
        step.value = "arrived";
      }
    });
  }

  function show(dialog, focusId) {
    dialog.hidden = false;
    var button = document.getElementById(focusId);
    if (button) {
      button.focus();
    }
  }

  // Signed-in pages: warn two minutes before the server ends an idle session; "extend" is a request,
  // which restarts the server's idle clock, so the same wait starts again. The wait is counted by the
  // server (data-session-warn-in, seconds), never from this device's own clock.
  function bindSessionWarning() {
    var body = document.body;
    var url = body.getAttribute("data-session-check");
    var wait = Number(body.getAttribute("data-session-warn-in"));
    var dialog = document.getElementById("session-warning");
    if (!url || !dialog || isNaN(wait)) {
      return;
    }
    var timer = null;
    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        show(dialog, "session-extend");
      }, wait * 1000);
    }
    document.getElementById("session-extend").addEventListener("click", function () {
      dialog.hidden = true;
      if (typeof window.fetch !== "undefined") {
        window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      }
      schedule();
    });
    schedule();
  }

  // Kiosk: after a quiet spell ask whether the person is still there; if nobody answers, finish
  // (the exit wipes the session and everything of this site in the browser).
  function bindKiosk() {
    var body = document.body;
    var idle = Number(body.getAttribute("data-kiosk-idle"));
    var warn = Number(body.getAttribute("data-kiosk-warn"));
    var dialog = document.getElementById("kiosk-warning");
    var exit = document.getElementById("kiosk-exit-form");
    if (!idle || !dialog || !exit) {
      return;
    }
    var warnTimer = null;
    var exitTimer = null;
    function restart() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(exitTimer);
      warnTimer = window.setTimeout(function () {
        show(dialog, "kiosk-continue");
      }, (idle - warn) * 1000);
      exitTimer = window.setTimeout(function () {
        exit.submit();
      }, idle * 1000);
    }
    ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
      document.addEventListener(name, function () {
        if (dialog.hidden) {
          restart();
        }
      }, { passive: true });
    });
    document.getElementById("kiosk-continue").addEventListener("click", function () {
      dialog.hidden = true;
      restart();
    });
    restart();
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindSubmitOnce();
    bindLiveStatus();
    bindSessionWarning();
    bindKiosk();
  });
})();
