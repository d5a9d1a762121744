/* The dashboard's Web page: the visitors / page views chart, and the custom-range fields.
   Deferred, so it runs after the chart library (loaded at the end of the page). */
(function () {
  "use strict";
  var range = document.getElementById("range");
  if (range) {
    var toggle = function () {
      document.querySelectorAll(".custom").forEach(function (el) {
        el.hidden = range.value !== "custom";
      });
    };
    range.addEventListener("change", toggle);
    toggle();
  }
  var el = document.getElementById("web-data");
  var canvas = document.getElementById("web-chart");
  if (!el || !canvas || !window.Chart) return;
  var data = JSON.parse(el.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Visitors", data: data.visitors, borderColor: "#2f6fdb", backgroundColor: "#2f6fdb33",
          fill: true, cubicInterpolationMode: "monotone", pointRadius: data.labels.length > 60 ? 0 : 2 },
        { label: "Page views", data: data.pageviews, borderColor: "#e8710a", backgroundColor: "#e8710a00",
          cubicInterpolationMode: "monotone", pointRadius: data.labels.length > 60 ? 0 : 2 }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
