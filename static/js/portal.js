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
    var field = event.target.querySelector(".modal-body select, .modal-body textarea, .modal-body input:not([type=hidden]):not([hidden])");
    if (field) { field.focus(); }
  });

  // Success toasts fade after a few seconds (the message is also kept in the page until then).
  function startToasts(root) {
    (root || document).querySelectorAll("[data-toast]").forEach(function (el) {
      window.setTimeout(function () { bootstrap.Toast.getOrCreateInstance(el).hide(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startToasts(); });
  // The toasts sit above everything, dialogs too: on a phone they covered a dialog's buttons
  // until they faded. Opening a dialog sends them away.
  document.addEventListener("show.bs.modal", function () {
    document.querySelectorAll("[data-toast].show").forEach(function (el) {
      bootstrap.Toast.getOrCreateInstance(el).hide();
    });
  });

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

  // A dialog request that fails (an error page, or no answer at all) says so inside the
  // dialog, so the dialog never silently does nothing. The server's error pages carry their
  // message in [data-error-message]; the fallbacks are translated in base.html.
  function errorMessage(xhr) {
    var text = xhr && xhr.responseText;
    if (text) {
      var page = new DOMParser().parseFromString(text, "text/html");
      var node = page.querySelector("[data-error-message]");
      if (node) { return node.textContent.replace(/\s+/g, " ").trim(); }
    }
    return "";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function showDialogError(message) {
    var el = document.getElementById("portal-modal");
    var content = document.getElementById("portal-modal-content");
    if (!el || !content) { return; }
    var alert = element("div", "alert alert-danger", message);
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-dialog-error", "");
    var body = content.querySelector(".modal-body");
    if (el.classList.contains("show") && body) {
      // The dialog is open with a form: keep what the user typed, show the error above it.
      var old = body.querySelector("[data-dialog-error]");
      if (old) { old.remove(); }
      body.prepend(alert);
      body.scrollTop = 0;
      return;
    }
    var header = element("div", "modal-header");
    header.appendChild(element("h2", "modal-title h5", el.dataset.errorTitle));
    var close = element("button", "btn-close");
    close.type = "button";
    close.setAttribute("data-bs-dismiss", "modal");
    close.setAttribute("aria-label", el.dataset.closeLabel);
    header.appendChild(close);
    body = element("div", "modal-body");
    body.appendChild(alert);
    var footer = element("div", "modal-footer");
    var done = element("button", "btn btn-outline-secondary", el.dataset.closeLabel);
    done.type = "button";
    done.setAttribute("data-bs-dismiss", "modal");
    footer.appendChild(done);
    content.replaceChildren(header, body, footer);
    var m = modal();
    if (m) { m.show(); }
  }

  function inDialog(event) {
    var target = event.detail && event.detail.target;
    return target && target.id === "portal-modal-content";
  }

  // The session ended (a timeout, signed out elsewhere): the server answers an htmx request
  // with 401 and X-Session-Ended instead of the login page. A dialog keeps its form and
  // everything typed in it (files included), says so and offers to sign in again in a new
  // tab; the next submit first asks /accounts/session/ whether the browser is signed in
  // again and takes the new CSRF token (signing in rotates it), then sends the same form.
  // Outside a dialog the page goes to the login page, and comes back after it.
  function sessionEnded(xhr) {
    return xhr && xhr.status === 401 && xhr.getResponseHeader("X-Session-Ended");
  }

  function loginUrl(el) {
    var here = window.location.pathname + window.location.search;
    return el.dataset.loginUrl + "?next=" + encodeURIComponent(here);
  }

  function showSessionEnded() {
    var el = document.getElementById("portal-modal");
    var body = el && el.querySelector("#portal-modal-content .modal-body");
    if (!body) { return; }
    el.dataset.signedOut = "true";
    body.querySelectorAll("[data-dialog-error], [data-session-ended]").forEach(function (old) {
      old.remove();
    });
    var alert = element("div", "alert alert-warning");
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-session-ended", "");
    var link = element("a", "alert-link", el.dataset.signIn);
    link.href = loginUrl(el);
    link.target = "_blank";
    link.rel = "noopener";
    alert.append(el.dataset.sessionEndedText + " ", link, ", " + el.dataset.sendAgain);
    body.prepend(alert);
    body.scrollTop = 0;
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }

  function useCsrfToken(token) {
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
  }

  document.addEventListener("htmx:confirm", function (event) {
    var el = document.getElementById("portal-modal");
    if (!el || el.dataset.signedOut !== "true" || !inDialog(event)) { return; }
    event.preventDefault();
    fetch(el.dataset.sessionUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        var token = response.ok && response.headers.get("X-CSRFToken");
        if (!token) { showSessionEnded(); return; }
        useCsrfToken(token);
        delete el.dataset.signedOut;
        el.querySelectorAll("[data-session-ended]").forEach(function (old) { old.remove(); });
        event.detail.issueRequest(true);
      })
      .catch(function () { showDialogError(el.dataset.errorNetwork); });
  });

  document.addEventListener("htmx:responseError", function (event) {
    var el = document.getElementById("portal-modal");
    if (sessionEnded(event.detail.xhr)) {
      // An open dialog may hold typed text: it stays, whichever request found out.
      if (el && el.classList.contains("show")) { showSessionEnded(); }
      else if (el) { window.location.assign(loginUrl(el)); }
      return;
    }
    if (!inDialog(event)) { return; }
    showDialogError(errorMessage(event.detail.xhr) || (el && el.dataset.errorGeneric));
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!inDialog(event)) { return; }
      var el = document.getElementById("portal-modal");
      showDialogError(el && el.dataset.errorNetwork);
    });
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

  // The API reference folds each entry's tables (<details data-unfold-on-target>): a link to
  // an entry (#deals_create, #schema-Deal), followed in the page or opened from elsewhere,
  // unfolds the entry it names.
  function unfoldTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    var entry = target && target.closest("article");
    var details = entry && entry.querySelector("details[data-unfold-on-target]");
    if (details) { details.open = true; }
  }
  window.addEventListener("hashchange", unfoldTarget);
  document.addEventListener("DOMContentLoaded", unfoldTarget);

  // A form sent, then brought back with the browser's Back button, is sent again with the key
  // it was first sent with (web/submissions.py: made once). The page comes from the server
  // again with a new key, and the browser puts back what was typed: in a text box, what
  // differs from the box's own value. So each key is made the box's typed value here (its
  // own emptied): the browser keeps it with the rest and puts it back. (So a form with a key
  // is never reset by script: its key would be emptied, and the form sent unguarded.)
  function keepSubmissionKeys() {
    document.querySelectorAll("input[data-submission-key]").forEach(function (input) {
      var key = input.value;  // the page's own, or the one the browser put back
      input.defaultValue = "";
      input.value = key;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { keepSubmissionKeys(); });

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
