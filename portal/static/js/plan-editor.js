// The plan editor's pickers (templates/plans/_task.html and show.html). Without JavaScript
// the plain fields work as they are: a multiple <select>, and dd/mm/yyyy typed as text.
// - select[data-unit-picker]: Tom Select (npm, pinned; docs/plans.md § The pickers) turns
//   the list of the province's units into a box one types a name into; the <select> stays
//   in the form and holds the choice, so the autosave sends what it always sent.
// - input[data-date-picker]: a calendar button beside the text field opens the browser's own
//   date picker (a hidden <input type=date>, showPicker); the day picked is written into the
//   text field as dd/mm/yyyy, which stays the value the server reads.
// Nothing here writes a style attribute or an inline script (the Content-Security-Policy
// refuses both); positions are set through element.style, which it allows.
(function () {
  "use strict";

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "5/1/2026" -> "2026-01-05"; "" when the text is not a day of the calendar
  function isoOf(text) {
    var m = /^\s*(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})\s*$/.exec(text || "");
    if (!m) {
      return "";
    }
    var day = +m[1], month = +m[2], year = +m[3];
    var date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
        date.getUTCDate() !== day) {
      return "";
    }
    return year + "-" + pad(month) + "-" + pad(day);
  }

  function shownOf(iso) {
    var parts = iso.split("-");
    return parts[2] + "/" + parts[1] + "/" + parts[0];
  }

  function announce(field) {   // as if typed: the autosave (htmx, autosave.js) hears it
    ["input", "change"].forEach(function (name) {
      field.dispatchEvent(new Event(name, { bubbles: true }));
    });
  }

  function datePicker(field) {
    if (field.hasAttribute("data-date-picker-ready") ||
        !("showPicker" in HTMLInputElement.prototype)) {
      return;   // no calendar to open: the text field alone, as without JavaScript
    }
    field.setAttribute("data-date-picker-ready", "");
    var group = document.createElement("div");
    group.className = "input-group input-group-sm date-field";
    field.parentNode.insertBefore(group, field);
    group.appendChild(field);

    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary date-button";
    button.setAttribute("aria-label", field.getAttribute("data-date-picker") || "Calendar");
    button.title = button.getAttribute("aria-label");   // the icon is portal.css's
    group.appendChild(button);

    var calendar = document.createElement("input");
    calendar.type = "date";
    calendar.className = "date-native";
    calendar.tabIndex = -1;
    calendar.setAttribute("aria-hidden", "true");
    group.appendChild(calendar);

    button.addEventListener("click", function () {
      calendar.value = isoOf(field.value);
      try {
        calendar.showPicker();
      } catch (error) {   // refused (no user gesture, or in a frame): type the date instead
        field.focus();
      }
    });
    calendar.addEventListener("change", function () {
      if (calendar.value) {
        field.value = shownOf(calendar.value);
        announce(field);
        field.focus();
      }
    });
  }

  function unitPicker(select) {
    if (select.tomselect || typeof window.TomSelect === "undefined") {
      return;
    }
    var labelledby = select.getAttribute("aria-labelledby");
    var describedby = select.getAttribute("aria-describedby");
    var picker = new window.TomSelect(select, {
      plugins: { remove_button: { title: select.getAttribute("data-remove") || "Remove" } },
      placeholder: select.getAttribute("data-placeholder") || "",
      maxOptions: null,          // every unit that matches, not the first 50
      hidePlaceholder: true,
      closeAfterSelect: true,
      render: {
        no_results: function () {
          var message = document.createElement("div");
          message.className = "no-results";
          message.textContent = select.getAttribute("data-no-results") || "";
          return message;
        }
      }
    });
    // the box typed into is named and described as the <select> was (label, task, message)
    if (labelledby) {
      picker.control_input.setAttribute("aria-labelledby", labelledby);
    }
    if (describedby) {
      picker.control_input.setAttribute("aria-describedby", describedby);
    }
    // the <select> only holds the choice now (Tom Select took it out of the tab order):
    // a screen reader meets one control, the box, not the list behind it as well
    select.setAttribute("aria-hidden", "true");
    picker.wrapper.classList.add("unit-picker");
    var hint = select.parentNode.querySelector(".picker-fallback");
    if (hint) {
      hint.hidden = true;   // "hold Ctrl" is about the plain list
    }
  }

  function enhance(root) {
    root.querySelectorAll("input[data-date-picker]").forEach(datePicker);
    root.querySelectorAll("select[data-unit-picker]").forEach(unitPicker);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:load", function (event) {
    enhance(event.detail.elt);
  });
})();
