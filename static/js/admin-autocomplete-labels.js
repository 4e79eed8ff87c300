// Admin's autocomplete (select2) names its combobox after a text box that has no name of its
// own, so screen readers (and axe) cannot tell what the field is. Give both the field's label.
// Run as a jQuery ready handler: this file comes after admin's autocomplete.js, so its
// handler has made the widgets by then.
(function () {
  function label() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var widget = select.nextElementSibling;
      if (!label || !widget) {
        return;
      }
      var name = label.textContent.trim();
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
