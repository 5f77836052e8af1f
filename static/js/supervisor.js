// The supervisor's SLA dashboard: the compliance trend (line) and the satisfaction scores (bar),
// drawn with Chart.js from the figures the page embeds with json_script (no inline scripts: CSP).
(function () {
  "use strict";

  const COLOURS = ["#16325c", "#1b7f3b", "#b35c00", "#7b3fb3", "#0b7285", "#c92a2a", "#5c677d"];

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function drawTrend() {
    const canvas = document.getElementById("trend-chart");
    const figures = readJson("trend-data");
    if (!canvas || !figures || typeof Chart === "undefined") {
      return;
    }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: figures.labels,
        datasets: figures.datasets.map((dataset, index) => ({
          key: dataset.key,
          label: dataset.label,
          data: dataset.data,
          borderColor: COLOURS[index % COLOURS.length],
          backgroundColor: COLOURS[index % COLOURS.length],
          borderWidth: dataset.key === "all" ? 3 : 1.5,
          pointRadius: figures.labels.length > 60 ? 0 : 2,
          spanGaps: true,
          tension: 0.2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: figures.axis } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? "—" : item.parsed.y.toFixed(1) + "%"}`,
            },
          },
        },
      },
    });
  }

  function drawScores() {
    const canvas = document.getElementById("csat-chart");
    const figures = readJson("csat-data");
    if (!canvas || !figures || typeof Chart === "undefined") {
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: figures.labels,
        datasets: [{ key: "scores", label: figures.label, data: figures.data, backgroundColor: COLOURS[0] }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  drawTrend();
  drawScores();
})();
