// The attendance page on a phone at the door: filter the cards by person code, and
// save a status button in place (fetch to the JSON API, no reload), so the page
// stays where it is and the card's own live region says it is saved. Without JS
// the buttons post the form and the page comes back at the card (#inv-id).
// The words come from the page (data-* attributes), in the user's language.
(function () {
  "use strict";

  function filter(box) {
    var input = box.querySelector("input");
    var status = box.querySelector("[data-template]");
    var cards = document.querySelectorAll("li.attendance-card[data-code]");
    var term = input.value.trim().toUpperCase();
    var shown = 0;
    cards.forEach(function (card) {
      var match = !term || card.dataset.code.toUpperCase().indexOf(term) !== -1;
      card.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    status.textContent = term
      ? status.dataset.template.replace("{shown}", shown).replace("{total}", cards.length)
      : "";
  }

  function mark(form, button) {
    var card = form.closest("li.attendance-card");
    form.querySelectorAll("button[name=status]").forEach(function (b) {
      var current = b === button;
      b.setAttribute("aria-pressed", current ? "true" : "false");
      b.classList.toggle("current", current);
    });
    card.className = card.className.replace(/\bstatus-\w+/, "status-" + button.value);
    var now = card.querySelector("[data-now]");
    if (now) {
      now.textContent = button.firstChild.textContent;
    }
  }

  function save(form, button) {
    var card = form.closest("li.attendance-card");
    var live = card.querySelector(".save-status");
    var token = form.querySelector("input[name=csrf_token]").value;
    live.textContent = "";
    live.classList.remove("field-error");
    fetch(form.dataset.save, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ status: button.value })
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        }, function () {
          return { ok: response.ok, body: {} };
        });
      })
      .then(function (result) {
        if (result.ok) {
          mark(form, button);
          live.textContent = form.dataset.saved;
          return;
        }
        // The field's own message ("Mötet har inte börjat än …"), not the API's
        // "field: message" line.
        var errors = (result.body && result.body.errors) || [];
        var said = errors.map(function (e) { return e.message; }).join(" ");
        live.textContent = said || form.dataset.failed;
        live.classList.add("field-error");
      })
      .catch(function () {
        live.textContent = form.dataset.failed;
        live.classList.add("field-error");
      });
  }

  function start() {
    var box = document.querySelector("[data-attendance-filter]");
    if (box) {
      box.hidden = false;
      box.querySelector("input").addEventListener("input", function () { filter(box); });
    }
    document.querySelectorAll("form.status-buttons[data-save]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (!button || button.name !== "status") {
          return;
        }
        event.preventDefault();
        save(form, button);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
