// The dashboard's charts, drawn with Chart.js from the tables beside them (which stay as the charts'
// text alternative for screen readers). Progressive enhancement: without this file the tables remain.
(function () {
  "use strict";

  var COLOURS = ["#256ef4", "#0b50d0", "#2a9d8f", "#e76f51", "#6c4ab6", "#8a6d00"];

  function series(table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var columns = [];
    heads.forEach(function (th, index) {
      if (th.hasAttribute("data-series")) {
        columns.push({ index: index, label: th.textContent.trim() });
      }
    });
    var labels = [];
    var values = columns.map(function () { return []; });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var cells = row.children;
      labels.push(cells[0].textContent.trim());
      columns.forEach(function (column, n) {
        var cell = cells[column.index];
        values[n].push(Number(cell && cell.getAttribute("data-value")) || 0);
      });
    });
    return {
      labels: labels,
      datasets: columns.map(function (column, n) {
        var colour = COLOURS[n % COLOURS.length];
        return { label: column.label, data: values[n], backgroundColor: colour, borderColor: colour };
      })
    };
  }

  function draw(figure) {
    var table = document.getElementById(figure.getAttribute("data-table"));
    var canvas = figure.querySelector("canvas");
    if (!table || !canvas || typeof window.Chart === "undefined") {
      figure.hidden = true;
      return;
    }
    var kind = figure.getAttribute("data-chart");
    var data = series(table);
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: kind,
      data: data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: data.datasets.length > 1 } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure[data-chart]").forEach(draw);
  });
})();
