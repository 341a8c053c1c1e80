// Sortable tables and "show in the chart" for the network pages.
//
// table[data-sortable]: every column header becomes a button that sorts by that
// column (again: the other way); cells sort by data-sort-value when they have
// one (numbers), else by their text in Swedish order. On phones, where the
// header row of a stacked table is hidden, a "Sortera efter" list above the table
// does the same. button[data-highlight-group] marks that group in the chart named
// by data-highlight-target (the node traces carry the group id last in
// customdata); pressing it again, or another group's, moves or clears the mark.
// Strict CSP: no inline script or style, no eval.
(function () {
  "use strict";

  var collator = new Intl.Collator("sv", { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    return cell.hasAttribute("data-sort-value") ? cell.getAttribute("data-sort-value") : cell.textContent.trim();
  }

  function compare(numeric, a, b) {
    if (numeric) {
      return parseFloat(a) - parseFloat(b);
    }
    return collator.compare(a, b);
  }

  function sortTable(table, index, direction) {
    var headers = table.tHead.rows[0].cells;
    var numeric = headers[index].getAttribute("data-sort") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.dataset.position = String(i); });
    rows.sort(function (x, y) {
      var order = compare(numeric, cellValue(x, index), cellValue(y, index));
      if (order === 0 || isNaN(order)) {
        order = Number(x.dataset.position) - Number(y.dataset.position);
        return order;
      }
      return direction === "descending" ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(headers, function (th, i) {
      th.setAttribute("aria-sort", i === index ? direction : "none");
    });
    var select = document.getElementById(table.id + "-sort");
    if (select) {
      select.value = index + ":" + direction;
    }
    var status = document.querySelector('[data-sort-status="' + table.id + '"]');
    if (status) {
      status.textContent = "Sorterad efter " + headers[index].dataset.sortLabel + ", " +
        (direction === "descending" ? "fallande" : "stigande") + ".";
    }
  }

  function firstDirection(th) {
    // Numbers (centrality, counts) are most useful largest first.
    return th.getAttribute("data-sort") === "number" ? "descending" : "ascending";
  }

  function sortControl(table) {
    var wrap = document.createElement("div");
    wrap.className = "table-sort field";
    var label = document.createElement("label");
    var id = table.id + "-sort";
    label.setAttribute("for", id);
    label.textContent = "Sortera efter";
    var select = document.createElement("select");
    select.id = id;
    select.dataset.sortFor = table.id;
    var none = document.createElement("option");
    none.value = "";
    none.textContent = "Som från början";
    select.appendChild(none);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      ["ascending", "descending"].forEach(function (direction) {
        var option = document.createElement("option");
        option.value = i + ":" + direction;
        option.textContent = th.dataset.sortLabel + (direction === "descending" ? " (fallande)" : " (stigande)");
        select.appendChild(option);
      });
    });
    select.addEventListener("change", function () {
      var parts = select.value.split(":");
      if (parts.length === 2) {
        sortTable(table, Number(parts[0]), parts[1]);
      }
    });
    wrap.appendChild(label);
    wrap.appendChild(select);
    return wrap;
  }

  function makeSortable(table) {
    var headers = table.tHead && table.tHead.rows[0] ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var text = th.textContent.trim();
      th.dataset.sortLabel = text;
      th.setAttribute("aria-sort", "none");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.textContent = text;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var now = th.getAttribute("aria-sort");
        var direction = now === "none" ? firstDirection(th) : (now === "ascending" ? "descending" : "ascending");
        sortTable(table, index, direction);
      });
    });
    var holder = table.closest(".table-wrap") || table;
    holder.parentNode.insertBefore(sortControl(table), holder);
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.dataset.sortStatus = table.id;
    holder.parentNode.insertBefore(status, holder);
    var initial = table.getAttribute("data-sorted");
    if (initial) {
      var parts = initial.split(":");
      Array.prototype.forEach.call(headers, function (th, i) {
        th.setAttribute("aria-sort", i === Number(parts[0]) ? parts[1] : "none");
      });
    }
  }

  function nodeTraces(el) {
    return (el.data || []).map(function (trace, index) {
      var rows = trace.customdata;
      var isNode = Array.isArray(rows) && rows.length > 0 && Array.isArray(rows[0]);
      return isNode ? index : -1;
    }).filter(function (index) { return index >= 0; });
  }

  function highlight(el, groupId) {
    if (!window.Plotly || !el.data) {
      return false;
    }
    var traces = nodeTraces(el);
    var found = null;
    var selected = traces.map(function (index) {
      var points = [];
      el.data[index].customdata.forEach(function (row, point) {
        if (groupId !== null && Number(row[row.length - 1]) === groupId) {
          points.push(point);
          found = { curveNumber: index, pointNumber: point };
        }
      });
      return groupId === null ? null : points;
    });
    window.Plotly.restyle(el, { selectedpoints: selected }, traces);
    if (found) {
      window.Plotly.Fx.hover(el, [found]);
    } else {
      window.Plotly.Fx.unhover(el);
    }
    return found !== null;
  }

  function setupHighlights() {
    document.querySelectorAll("button[data-highlight-group]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var el = document.getElementById(button.dataset.highlightTarget);
        if (!el) {
          return;
        }
        var pressed = button.getAttribute("aria-pressed") === "true";
        document.querySelectorAll("button[data-highlight-group][aria-pressed='true']").forEach(function (other) {
          other.setAttribute("aria-pressed", "false");
        });
        var status = document.querySelector('[data-figure-status="' + el.id + '"]');
        if (pressed) {
          highlight(el, null);
          if (status) { status.textContent = ""; }
          return;
        }
        var shown = highlight(el, Number(button.dataset.highlightGroup));
        button.setAttribute("aria-pressed", shown ? "true" : "false");
        if (status) {
          status.textContent = shown ? button.dataset.highlightName + " är markerad i diagrammet." : "Gruppen syns inte i diagrammet.";
        }
        if (shown) {
          el.scrollIntoView({ block: "nearest" });
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
    setupHighlights();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
