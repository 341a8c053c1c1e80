// Shows the progress of background analyses: polls each running job's JSON
// every two seconds and reloads the page when one finishes. Without JS the
// page has an "Uppdatera" link.
(function () {
  "use strict";

  var LABELS = {
    queued: "Väntar", running: "Pågår", done: "Klar", failed: "Misslyckades",
    cancelling: "Avbryts", cancelled: "Avbruten"
  };

  function poll(bar) {
    var id = bar.dataset.jobId;
    fetch(bar.dataset.jobPoll, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        bar.value = job.progress;
        bar.textContent = job.progress + " %";
        var percent = document.querySelector('[data-job-percent="' + id + '"]');
        if (percent) {
          percent.textContent = job.progress + " %";
        }
        var status = document.querySelector('[data-job-status="' + id + '"]');
        if (status) {
          status.textContent = LABELS[job.status] || job.status;
        }
        if (job.status === "done" || job.status === "failed" || job.status === "cancelled") {
          window.location.reload();
          return;
        }
        window.setTimeout(function () { poll(bar); }, 2000);
      })
      .catch(function () {
        window.setTimeout(function () { poll(bar); }, 10000);
      });
  }

  function start() {
    document.querySelectorAll("progress[data-job-poll]").forEach(function (bar) {
      window.setTimeout(function () { poll(bar); }, 1000);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
