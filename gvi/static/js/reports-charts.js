// Draws the report charts: each [data-report-figure] element names its figure JSON
// by data-figure-src; the table beside it is the text alternative.
// Strict CSP: no inline script or style, no eval; SVG traces only.
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
  };

  function say(el, text) {
    var status = document.querySelector('[data-figure-status="' + el.id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  function draw(el) {
    fetch(el.dataset.figureSrc, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (payload) {
        return window.Plotly.newPlot(el, payload.figure.data, payload.figure.layout, CONFIG);
      })
      .then(function () {
        say(el, "");
      })
      .catch(function () {
        say(el, "Diagrammet kunde inte visas. Tabellen har samma uppgifter.");
      });
  }

  function start() {
    var figures = document.querySelectorAll("[data-report-figure]");
    if (!window.Plotly) {
      figures.forEach(function (el) {
        say(el, "Diagrammet kunde inte laddas. Tabellen har samma uppgifter.");
      });
      return;
    }
    figures.forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
