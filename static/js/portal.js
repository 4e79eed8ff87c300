// Partner Portal behaviour: the modal that htmx fills, and the stage form's extra fields.
// Everything works without this file; it only makes the sub-screens open in place.
(function () {
  "use strict";

  function modal() {
    var el = document.getElementById("portal-modal");
    return el ? bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  // A response swapped into the modal opens it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "portal-modal-content") {
      var m = modal();
      if (m) { m.show(); }
    }
  });

  // The server says "done" with HX-Trigger: closeModal; the page then reloads its parts.
  document.addEventListener("closeModal", function () {
    var m = modal();
    if (m) { m.hide(); }
  });

  // Show the lost-reason fields only when "lost" is chosen.
  function syncLostReason(root) {
    (root || document).querySelectorAll("[data-stage-select]").forEach(function (select) {
      var form = select.closest("form");
      var lost = form && form.querySelector("[data-lost-reason]");
      var warn = form && form.querySelector("[data-closing-warning]");
      var closing = select.value === "won" || select.value === "lost";
      if (lost) { lost.hidden = select.value !== "lost"; }
      if (warn) { warn.hidden = !closing; }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-stage-select]")) { syncLostReason(); }
  });
  document.addEventListener("htmx:load", function (event) { syncLostReason(event.target); });
  document.addEventListener("DOMContentLoaded", function () { syncLostReason(); });

  // Upload progress for forms with a <progress data-upload-progress>.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var bar = form && form.querySelector("[data-upload-progress]");
    if (bar && event.detail.lengthComputable) {
      bar.hidden = false;
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });
})();
