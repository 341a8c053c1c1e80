// What the figure pages (network, timeline, reports) share: fetching a figure,
// drawing it in place (Plotly.react), the status line, and live filters.
//
// Live filters: a form[data-live-form] is submitted without a page reload. The
// query goes into the address bar (history.pushState, so a link is shareable and
// back/forward restore), every figure with data-figure-api is fetched again from
// the JSON API and redrawn in place, and the page itself is fetched once more so
// each [data-live] region (summary, tables, export links) is swapped for the new
// one. A drawn figure inside a region is kept and redrawn, not replaced. Without
// JS the form is an ordinary GET form.
//
// The as-of slider ([data-as-of-slider]) sets the date field named by its
// data-target to one of its data-steps (monthly stops over the data's span) and
// submits after a pause.
//
// Strict CSP: no inline script or style, no eval.
(function () {
  "use strict";

  var GVI = (window.GVI = window.GVI || {});
  var SLIDER_PAUSE_MS = 250;
  var figureHandlers = [];
  var pageSeq = 0;

  GVI.CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
  };

  GVI.say = function (el, text) {
    var status = document.querySelector('[data-figure-status="' + el.id + '"]');
    if (status) {
      status.textContent = text;
    }
  };

  GVI.fetchJson = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }
    );
  };

  // The latest answer wins: an older one that arrives late is dropped.
  GVI.latest = function (el, promise) {
    var seq = (el._gviSeq = (el._gviSeq || 0) + 1);
    return promise.then(function (value) {
      if (seq !== el._gviSeq) {
        throw new Error("stale");
      }
      return value;
    });
  };

  // Draw (or redraw in place) and mark the first drawn plot for the benchmark.
  GVI.plot = function (el, figure, config) {
    return window.Plotly.react(el, figure.data, figure.layout, config || GVI.CONFIG).then(function () {
      if (window.performance && performance.mark && !performance.getEntriesByName("gvi:first-plot").length) {
        performance.mark("gvi:first-plot");
      }
    });
  };

  // The figure of a payload promise drawn in el; opts: config, prepare(figure),
  // after(el), failure (the status text when it cannot be drawn).
  GVI.draw = function (el, payload, opts) {
    return GVI.latest(el, payload)
      .then(function (answer) {
        var figure = opts.prepare ? opts.prepare(answer.figure) : answer.figure;
        return GVI.plot(el, figure, opts.config);
      })
      .then(function () {
        GVI.say(el, "");
        if (opts.after) {
          opts.after(el);
        }
      })
      .catch(function (error) {
        if (!error || error.message !== "stale") {
          GVI.say(el, opts.failure);
        }
      });
  };

  // A page script registers how it draws its figures: fn(el) for each element
  // matching selector, called at start and after every live change.
  GVI.figures = function (selector, fn) {
    figureHandlers.push({ selector: selector, fn: fn });
    function start() {
      if (!window.Plotly) {
        document.querySelectorAll(selector).forEach(function (el) {
          GVI.say(el, "Diagrammet kunde inte laddas. Tabellerna har samma uppgifter.");
        });
        return;
      }
      document.querySelectorAll(selector).forEach(fn);
    }
    whenReady(start);
  };

  function whenReady(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  // --- live filters --------------------------------------------------------------

  function queryOf(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "") {
        params.append(key, value);
      }
    });
    return params.toString();
  }

  function pageUrl(form, qs) {
    var action = new URL(form.getAttribute("action") || window.location.pathname, window.location.href);
    return action.pathname + (qs ? "?" + qs : "");
  }

  function copyData(from, to) {
    Object.keys(from.dataset).forEach(function (key) {
      to.dataset[key] = from.dataset[key];
    });
  }

  function swap(doc, withForm) {
    document.querySelectorAll("[data-live]").forEach(function (region) {
      var fresh = doc.querySelector('[data-live="' + region.dataset.live + '"]');
      if (!fresh) {
        return;
      }
      fresh = document.importNode(fresh, true);
      fresh.querySelectorAll("[id]").forEach(function (el) {
        var drawn = document.getElementById(el.id);
        if (drawn && (drawn.classList.contains("js-plotly-plot") || drawn.dataset.figureApi)) {
          copyData(el, drawn);
          el.replaceWith(drawn);
          // Its status line says what the kept figure shows, not "loading".
          var status = fresh.querySelector('[data-figure-status="' + el.id + '"]');
          var current = document.querySelector('[data-figure-status="' + el.id + '"]');
          if (status && current) {
            status.textContent = current.textContent;
          }
        }
      });
      region.replaceWith(fresh);
    });
    // Figures outside the regions keep their element; their data-* follow the page.
    document.querySelectorAll("[data-figure-api], [data-figure-json]").forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      if (fresh) {
        copyData(fresh, el);
      }
    });
    if (withForm) {
      document.querySelectorAll("form[data-live-form]").forEach(function (form, i) {
        var fresh = doc.querySelectorAll("form[data-live-form]")[i];
        if (fresh) {
          var copy = document.importNode(fresh, true);
          form.replaceWith(copy);
          enhance(copy);
        }
      });
    }
  }

  function update(form, url, push, withForm) {
    var seq = ++pageSeq;
    var qs = url.indexOf("?") >= 0 ? url.slice(url.indexOf("?") + 1) : "";
    // The figures from the JSON API at once, beside the page fetch.
    document.querySelectorAll("[data-figure-api]").forEach(function (el) {
      el.dataset.figureSrc = el.dataset.figureApi + (qs ? "?" + qs : "");
    });
    if (push) {
      window.history.pushState({ gviLive: true }, "", url);
    }
    document.documentElement.setAttribute("aria-busy", "true");
    var apiFigures = document.querySelectorAll("[data-figure-api]");
    var drawn = new Set();
    figureHandlers.forEach(function (h) {
      apiFigures.forEach(function (el) {
        if (el.matches(h.selector)) {
          drawn.add(el);
          h.fn(el);
        }
      });
    });
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (seq !== pageSeq) {
          return;
        }
        swap(new DOMParser().parseFromString(html, "text/html"), withForm);
        // Figures whose data came with the page (no JSON API) are drawn now.
        figureHandlers.forEach(function (h) {
          document.querySelectorAll(h.selector).forEach(function (el) {
            if (!drawn.has(el) && !el.dataset.figureApi) {
              h.fn(el);
            }
          });
        });
        document.documentElement.removeAttribute("aria-busy");
      })
      .catch(function () {
        if (seq === pageSeq) {
          window.location.assign(url); // the plain way: a full page load
        }
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-live-form") || !window.Plotly) {
      return;
    }
    event.preventDefault();
    syncSlider(form);
    update(form, pageUrl(form, queryOf(form)), true, false);
  });

  window.addEventListener("popstate", function (event) {
    var form = document.querySelector("form[data-live-form]");
    if (form && event.state && event.state.gviLive) {
      update(form, window.location.pathname + window.location.search, false, true);
    }
  });

  // --- the as-of slider -----------------------------------------------------------

  // A date typed into the field moves the slider to the last stop on or before it.
  function syncSlider(form) {
    form.querySelectorAll("[data-as-of-slider] input[type=range]").forEach(function (range) {
      var target = document.getElementById(range.dataset.target);
      var steps = (range.dataset.steps || "").split(",");
      if (!target || !target.value) {
        return;
      }
      var index = 0;
      steps.forEach(function (day, i) {
        if (day <= target.value) {
          index = i;
        }
      });
      range.value = String(index);
      range.setAttribute("aria-valuetext", steps[index]);
      var output = range.parentNode.querySelector("output");
      if (output) {
        output.textContent = steps[index];
      }
    });
  }

  function enhance(root) {
    root.querySelectorAll("[data-as-of-slider]").forEach(function (box) {
      var range = box.querySelector("input[type=range]");
      var output = box.querySelector("output");
      var steps = (range.dataset.steps || "").split(",");
      var target = document.getElementById(range.dataset.target);
      var timer = null;
      box.hidden = false;
      range.addEventListener("input", function () {
        var day = steps[Number(range.value)] || "";
        range.setAttribute("aria-valuetext", day);
        output.textContent = day;
        if (target) {
          target.value = day;
        }
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (range.form && range.form.requestSubmit) {
            range.form.requestSubmit();
          }
        }, SLIDER_PAUSE_MS);
      });
    });
  }

  whenReady(function () {
    if (document.querySelector("form[data-live-form]") && window.Plotly) {
      window.history.replaceState({ gviLive: true }, "", window.location.href);
      enhance(document);
    }
  });
})();
