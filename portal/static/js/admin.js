// Flask-Admin without inline event handlers, which the Content-Security-Policy refuses
// (portal/security.py). templates/admin/actions.html and templates/admin/model/row_actions.html
// mark the elements; this file gives them their behaviour.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {   // the sheet of temporary passwords
      window.print();
      return;
    }
    var action = event.target.closest("[data-admin-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-admin-action"));
      return;
    }
    // Menu links (templates/admin/model/layout.html) point at "#"; Bootstrap and
    // filters.js handle them, and the page must not jump to its top.
    if (event.target.closest('a.filter[href="#"], a[data-toggle="dropdown"][href="#"], ' +
                             'a[href="javascript:void(0)"]')) {
      event.preventDefault();
    }
  });
  // The list's check boxes are named only by their title ("Select record", the same on
  // every row): each gets an accessible name that says its row (WCAG 1.3.1, 4.1.2).
  document.querySelectorAll("input.action-rowtoggle, input.action-checkbox, " +
                            "input.action-checkbox-disabled").forEach(function (box) {
    var row = box.closest("tr");
    var first = row ? row.querySelector("td[class^='col-'], td[class*=' col-']") : null;
    var said = first && box.closest("tbody") ? ": " + first.textContent.trim() : "";
    box.setAttribute("aria-label", (box.getAttribute("title") || "") + said);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
