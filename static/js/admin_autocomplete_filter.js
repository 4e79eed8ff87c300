"use strict";
// An admin list filter chosen with autocomplete (web/admin_lists.py): choosing an object
// reloads the list with its parameter, the other filters kept, back on the first page.
window.addEventListener("load", function () {
  const $ = window.django && window.django.jQuery;
  if (!$) {
    return;
  }
  $("select[data-autocomplete-filter]").on("change", function () {
    const url = new URL(window.location.href);
    url.searchParams.delete("p");
    if (this.value) {
      url.searchParams.set(this.name, this.value);
    } else {
      url.searchParams.delete(this.name);
    }
    window.location.assign(url.toString());
  });
});
