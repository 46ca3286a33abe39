// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // GOV.UK and KRDS pattern: after a failed submit, move focus to the error summary.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // Show only the fields that apply to the chosen vehicle category and holding events.
  function toggle(group, visible) {
    group.hidden = !visible;
  }

  function bindCategory() {
    var category = document.getElementById("category");
    if (!category) {
      return;
    }
    var groups = document.querySelectorAll("[data-category]");
    function update() {
      groups.forEach(function (group) {
        toggle(group, group.getAttribute("data-category") === category.value);
      });
    }
    category.addEventListener("change", update);
    update();
  }

  // data-unless="select:value" hides a field when the select has that value;
  // data-only="select:value" shows it only then.
  function bindConditions(attribute, hideWhenEqual) {
    document.querySelectorAll("[" + attribute + "]").forEach(function (group) {
      var rule = group.getAttribute(attribute).split(":");
      var select = document.getElementById(rule[0]);
      if (!select) {
        return;
      }
      function update() {
        var moot = (select.value === rule[1]) === hideWhenEqual;
        var input = group.querySelector("input");
        var filled = input && (input.type === "checkbox" ? input.checked : input.value !== "");
        // Never hide a field that holds a value or an error: the person must see what is sent.
        toggle(group, !moot || filled || group.querySelector(".form-hint-invalid") !== null);
      }
      select.addEventListener("change", update);
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    bindCategory();
    bindConditions("data-unless", true);
    bindConditions("data-only", false);
  });
})();
