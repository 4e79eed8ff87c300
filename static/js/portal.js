// Partner Portal behaviour: the modal that htmx fills, and the stage form's extra fields.
// Everything works without this file; it only makes the sub-screens open in place.
(function () {
  "use strict";

  function modal() {
    var el = document.getElementById("portal-modal");
    return el ? bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  // A response swapped into the modal opens it. When it answers a submit (errors shown),
  // the button that had focus is gone: focus goes to the first field in error (or the
  // error text, or the dialog), so the keyboard stays in the dialog and Esc still closes it.
  // After settling: htmx gives elements that keep their id their new classes only then.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "portal-modal-content") { return; }
    var el = document.getElementById("portal-modal");
    var m = modal();
    if (!m) { return; }
    // The dialog is named by the title of whatever sub-screen it holds.
    var title = target.querySelector(".modal-title");
    if (title) {
      title.id = title.id || "portal-modal-title";
      el.setAttribute("aria-labelledby", title.id);
    }
    if (!el.classList.contains("show")) { m.show(); return; }
    var field = target.querySelector("input.is-invalid, select.is-invalid, textarea.is-invalid")
      || target.querySelector("[data-form-errors], .alert-danger");
    if (field && !field.matches("input, select, textarea")) { field.setAttribute("tabindex", "-1"); }
    (field || el).focus();
  });
  document.addEventListener("shown.bs.modal", function (event) {
    var field = event.target.querySelector(".modal-body select, .modal-body textarea, .modal-body input:not([type=hidden])");
    if (field) { field.focus(); }
  });

  // Success toasts fade after a few seconds (the message is also kept in the page until then).
  function startToasts(root) {
    (root || document).querySelectorAll("[data-toast]").forEach(function (el) {
      window.setTimeout(function () { bootstrap.Toast.getOrCreateInstance(el).hide(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startToasts(); });

  // Our own file picker says which files were chosen, in the page's language.
  document.addEventListener("change", function (event) {
    if (!event.target.matches(".file-picker-input")) { return; }
    var names = event.target.closest("[data-file-picker]").querySelector("[data-file-names]");
    var files = Array.prototype.map.call(event.target.files, function (f) { return f.name; });
    names.textContent = files.length ? files.join(", ") : names.getAttribute("data-empty");
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
