// Draws the network figures: [data-network-figure] elements name their figure by
// data-figure-src (fetched JSON) or data-figure-json (id of an embedded JSON block).
// Strict CSP: no inline script or style, no eval. WebGL figures need the
// precompiled regl code (data-regl-src, see gvi/networks/assets.py); without it
// they are drawn with SVG traces instead.
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    scrollZoom: true,
    // Box and lasso select compile extra WebGL programs; the tables do that job.
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
  };
  // Read while this script runs: document.currentScript is null in callbacks.
  var NONCE = document.currentScript ? document.currentScript.nonce : "";

  function statusOf(el) {
    return document.querySelector('[data-figure-status="' + el.id + '"]');
  }

  function say(el, text) {
    var status = statusOf(el);
    if (status) {
      status.textContent = text;
    }
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var existing = document.querySelector('script[data-src="' + src + '"]');
      if (existing && existing.dataset.loaded === "true") {
        resolve();
        return;
      }
      var script = document.createElement("script");
      script.src = src;
      script.dataset.src = src;
      if (NONCE) {
        script.nonce = NONCE;
      }
      script.onload = function () {
        script.dataset.loaded = "true";
        resolve();
      };
      script.onerror = function () {
        reject(new Error("script " + src));
      };
      document.head.appendChild(script);
    });
  }

  // regl looks its generated code up by hash in the trace module's cache before
  // compiling with Function(); fill that cache from the precompiled file. The
  // module is reached through a hidden throwaway plot, as plotly exposes no registry.
  function installPrecompiled(el) {
    var pre = window.GVI_REGL_PRECOMPILED;
    if (!pre || pre.version !== window.Plotly.version) {
      return Promise.resolve(false);
    }
    return window.Plotly.newPlot(el, [{ type: "scattergl", x: [0], y: [0], visible: false }], {}, CONFIG)
      .then(function () {
        var full = el._fullData && el._fullData[0];
        var plot = full && full._module && full._module.plot;
        var cache = plot && plot.reglPrecompiled;
        if (!cache || typeof cache !== "object") {
          return false;
        }
        Object.keys(pre.code).forEach(function (key) {
          cache[key] = pre.code[key];
        });
        window.Plotly.purge(el);
        return true;
      })
      .catch(function () {
        return false;
      });
  }

  function asSvg(figure) {
    figure.data.forEach(function (trace) {
      if (trace.type === "scattergl") {
        trace.type = "scatter";
      }
    });
  }

  function prepare(el, payload) {
    if (!payload.webgl) {
      return Promise.resolve(payload.figure);
    }
    var src = el.dataset.reglSrc;
    var ready = src ? loadScript(src).then(function () { return installPrecompiled(el); }) : Promise.resolve(false);
    return ready
      .catch(function () {
        return false;
      })
      .then(function (ok) {
        if (!ok) {
          asSvg(payload.figure);
        }
        return payload.figure;
      });
  }

  function payloadOf(el) {
    if (el.dataset.figureJson) {
      var block = document.getElementById(el.dataset.figureJson);
      return Promise.resolve(JSON.parse(block.textContent));
    }
    return fetch(el.dataset.figureSrc, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  // A browser whose WebGL setup makes regl generate code we have not precompiled
  // would have it refused (no 'unsafe-eval'); then draw the same figure as SVG.
  function plot(el, figure) {
    var refused = false;
    function onViolation(event) {
      if (event.blockedURI === "eval") {
        refused = true;
      }
    }
    var webgl = figure.data.some(function (trace) { return trace.type === "scattergl"; });
    if (webgl) {
      document.addEventListener("securitypolicyviolation", onViolation);
    }
    var drawn = window.Plotly.newPlot(el, figure.data, figure.layout, CONFIG);
    if (!webgl) {
      return drawn;
    }
    return drawn
      .then(function () { return null; }, function (error) { return error || new Error("plot"); })
      .then(function (error) {
        // Violation reports arrive as a separate task.
        return new Promise(function (resolve) { window.setTimeout(resolve, 50); }).then(function () {
          document.removeEventListener("securitypolicyviolation", onViolation);
          if (refused) {
            window.Plotly.purge(el);
            asSvg(figure);
            return window.Plotly.newPlot(el, figure.data, figure.layout, CONFIG);
          }
          if (error) {
            throw error;
          }
          return null;
        });
      });
  }

  function draw(el) {
    payloadOf(el)
      .then(function (payload) {
        return prepare(el, payload);
      })
      .then(function (figure) {
        return plot(el, figure);
      })
      .then(function () {
        say(el, "");
        if (el.dataset.clickBase) {
          el.on("plotly_click", function (event) {
            var point = event && event.points && event.points[0];
            var data = point && point.customdata;
            if (Array.isArray(data) && typeof data[4] === "number") {
              window.location.assign(el.dataset.clickBase + encodeURIComponent(data[4]));
            }
          });
        }
      })
      .catch(function () {
        say(el, "Diagrammet kunde inte visas. Tabellerna nedan har samma uppgifter.");
      });
  }

  function start() {
    if (!window.Plotly) {
      document.querySelectorAll("[data-network-figure]").forEach(function (el) {
        say(el, "Diagrammet kunde inte laddas. Tabellerna nedan har samma uppgifter.");
      });
      return;
    }
    document.querySelectorAll("[data-network-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
