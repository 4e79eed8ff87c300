// Admin's autocomplete (select2) names its combobox after a text box that has no name of its
// own, so screen readers (and axe) cannot tell what the field is. Give both the field's name:
// its label, or for a list filter (django-admin-autocomplete-filter) the filter's title.
// Loaded on every admin page (admin/base_site.html); runs as a jQuery ready handler when
// admin's jQuery is on the page (after admin's autocomplete.js has made the widgets), else
// on load.
(function () {
  function nameOf(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      return label.textContent.trim();
    }
    var list = select.closest("ul");
    var heading = list && list.previousElementSibling;
    if (heading && /^(H3|SUMMARY)$/.test(heading.tagName)) {
      return heading.textContent.trim();
    }
    return select.getAttribute("aria-label") || select.getAttribute("data-placeholder") || "";
  }
  function label() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var widget = select.nextElementSibling;
      var name = nameOf(select);
      if (!widget || !name) {
        return;
      }
      widget.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(
        function (element) {
          element.setAttribute("aria-label", name);
        }
      );
    });
  }
  if (window.django && window.django.jQuery) {
    window.django.jQuery(label);
  } else {
    window.addEventListener("load", label);
  }
})();
