// Draws the report charts: each [data-report-figure] element names its figure JSON
// by data-figure-src; the table beside it is the text alternative. figure-kit.js
// redraws them in place when the filters change.
// Strict CSP: no inline script or style, no eval; SVG traces only.
(function () {
  "use strict";

  var GVI = window.GVI;

  function draw(el) {
    GVI.draw(el, GVI.fetchJson(el.dataset.figureSrc), {
      failure: "Diagrammet kunde inte visas. Tabellen har samma uppgifter."
    });
  }

  GVI.figures("[data-report-figure]", draw);
})();
