// The header's menu on a narrow screen (templates/base.html): its button opens and closes
// the menu it names in aria-controls and says which it is in aria-expanded. Bootstrap's
// CSS hides a .collapse without .show; on a wide screen the menu is always shown and the
// button hidden (navbar-expand-lg). No inline script: the CSP allows only files.
(function () {
  "use strict";
  function toggle(button) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }
    var open = button.getAttribute("aria-expanded") !== "true";
    menu.classList.toggle("show", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-portal-menu]") : null;
    if (button) {
      toggle(button);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("[data-portal-menu][aria-expanded=true]").forEach(function (button) {
      toggle(button);
      button.focus();
    });
  });
})();
