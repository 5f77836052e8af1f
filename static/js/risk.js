// Charts of the risk pages, drawn with Chart.js 4 (static/vendor/chart.umd.min.js, loaded before this file).
// Each <canvas data-chart="bar" data-source="ID"> reads its data from the json_script element ID:
// {labels, counts, label, x_title?, y_title?, levels? (one risk level per bar) or names? (one line per bar)}.
(function () {
  "use strict";

  const LEVEL_COLOURS = {
    no_liability: "#9aa5b1",
    normal: "#2e7d32",
    attention: "#d9a400",
    warning: "#e06c00",
    close_out: "#c62828",
    immediate: "#7b1010",
  };
  const DEFAULT_COLOUR = "#1f5fa8";

  function readData(canvas) {
    const source = document.getElementById(canvas.dataset.source || "");
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function colours(data) {
    const levels = data.levels || data.names || [];
    return data.counts.map((_count, i) => LEVEL_COLOURS[levels[i]] || DEFAULT_COLOUR);
  }

  function axisTitle(text) {
    return text ? { display: true, text: text } : { display: false };
  }

  function drawBarChart(canvas) {
    const data = readData(canvas);
    if (!data || !Array.isArray(data.counts) || typeof window.Chart === "undefined") {
      return null;
    }
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label || "", data: data.counts, backgroundColor: colours(data) }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { title: axisTitle(data.x_title) },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(data.y_title) },
        },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart='bar']").forEach((canvas) => {
      if (!window.Chart || !window.Chart.getChart(canvas)) {
        drawBarChart(canvas);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
