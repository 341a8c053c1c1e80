// The main menu folds behind a button on narrow screens, and messages after an
// action are repeated into a live region so screen readers announce them.
(function () {
  "use strict";
  function setUpMenu() {
    var button = document.querySelector(".nav-toggle");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) { return; }
    document.documentElement.classList.add("nav-js");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        button.setAttribute("aria-expanded", "false");
        menu.classList.remove("open");
        button.focus();
      }
    });
  }
  function announce(text) {
    var live = document.getElementById("live");
    if (!live) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 100);
  }
  function announceFlashes() {
    var region = document.getElementById("flashes");
    if (region && region.textContent.trim()) { announce(region.textContent.trim()); }
  }
  // Other scripts report an in-page result the same way: gviAnnounce(text, category)
  // shows it on top of the page and has it read out.
  window.gviAnnounce = function (text, category) {
    var region = document.getElementById("flashes");
    if (!region) { return; }
    var box = document.createElement("div");
    box.className = "flash flash-" + (category || "info");
    box.textContent = text;
    region.appendChild(box);
    box.scrollIntoView({block: "nearest"});
    announce(text);
  };
  function start() { setUpMenu(); announceFlashes(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
