// Flask-Admin without inline event handlers, which the Content-Security-Policy refuses
// (portal/security.py). templates/admin/actions.html and templates/admin/model/row_actions.html
// mark the elements; this file gives them their behaviour.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var action = event.target.closest("[data-admin-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-admin-action"));
      return;
    }
    // Flask-Admin's filter menu links point at javascript:void(0); filters.js handles them.
    if (event.target.closest('a[href="javascript:void(0)"]')) {
      event.preventDefault();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // The filter links' onclick="return false;" would be refused (and reported) on click.
  document.querySelectorAll('[onclick="return false;"]').forEach(function (element) {
    element.removeAttribute("onclick");
  });
})();
