/* The mapping page: each province indicator's national counterpart is a searchable
   select (Tom Select, from npm at set-up); the factor field is shown only for the modes
   that take one. Without JavaScript the plain <select> and field still work. */
(function () {
  "use strict";

  function picker(select) {
    if (select.tomselect || typeof window.TomSelect === "undefined") {
      return;
    }
    var labelledby = select.getAttribute("aria-labelledby");
    var box = new window.TomSelect(select, {
      maxOptions: null,
      allowEmptyOption: true,
      placeholder: select.getAttribute("data-placeholder") || "",
      render: {
        no_results: function () {
          var message = document.createElement("div");
          message.className = "no-results";
          message.textContent = select.getAttribute("data-no-results") || "";
          return message;
        }
      }
    });
    if (labelledby) {
      box.control_input.setAttribute("aria-labelledby", labelledby);
    }
  }

  function factorShown(mode) {
    var row = mode.closest("tr");
    var factor = row && row.querySelector("[data-factor]");
    if (factor) {
      factor.hidden = !(mode.value === "factor" || mode.value === "part");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-national-picker]").forEach(picker);
    document.querySelectorAll("select[data-mapping-mode]").forEach(function (mode) {
      factorShown(mode);
      mode.addEventListener("change", function () { factorShown(mode); });
    });
  });
})();
