// Draws the network figures: [data-network-figure] elements name their figure by
// data-figure-src (fetched JSON) or data-figure-json (id of an embedded JSON block),
// through figure-kit.js, which also redraws them in place on a live filter change.
// Strict CSP: no inline script or style, no eval. The basic plotly.js bundle has
// no WebGL traces, so scattergl traces (large networks) are drawn as SVG scatter.
(function () {
  "use strict";

  var GVI = window.GVI;
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    scrollZoom: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
  };

  function asSvg(figure) {
    figure.data.forEach(function (trace) {
      if (trace.type === "scattergl") {
        trace.type = "scatter";
      }
    });
    return figure;
  }

  function payloadOf(el) {
    if (el.dataset.figureJson) {
      var block = document.getElementById(el.dataset.figureJson);
      return Promise.resolve(JSON.parse(block.textContent));
    }
    return GVI.fetchJson(el.dataset.figureSrc);
  }

  function onClick(el) {
    if (el.dataset.clickBound) {
      return;
    }
    el.dataset.clickBound = "true";
    el.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var data = point && point.customdata;
      if (el.dataset.clickBase && Array.isArray(data) && typeof data[4] === "number") {
        window.location.assign(el.dataset.clickBase + encodeURIComponent(data[4]));
      }
    });
  }

  function draw(el) {
    GVI.draw(el, payloadOf(el), {
      config: CONFIG,
      prepare: asSvg,
      after: onClick,
      failure: "Diagrammet kunde inte visas. Tabellerna nedan har samma uppgifter."
    });
  }

  GVI.figures("[data-network-figure]", draw);
})();
