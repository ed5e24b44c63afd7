// Forms that save as you type (form.autosave with hx-post; blueprints/autosave.py).
// htmx sends them and puts each answer in the form's one live region; this file adds what
// htmx does not know:
// - a field whose message slot (its aria-describedby) holds a message is aria-invalid;
// - what is typed and not yet saved says so in the live region ("Not saved yet"), once;
// - leaving the page (a link, a reload, closing it) while a form holds what the server has
//   not saved asks first: typed and not yet answered, answered with a problem, a conflict,
//   or never answered (offline). After a save, nothing is asked.
// No page here uses hx-boost, so every way out of a page is a real unload (beforeunload).
(function () {
  "use strict";
  var IGNORED = { version: true, force_version: true, csrf_token: true };
  var stored = new WeakMap();   // form -> its values as the server last saved them
  var sending = new WeakMap();  // form -> its values in the request under way

  function values(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (!IGNORED[name] && typeof value === "string") {
        pairs.push(name + "=" + value);
      }
    });
    return pairs.join("&");
  }

  function autosaveForm(element) {
    var form = element && element.closest ? element.closest("form.autosave") : null;
    return form && form.hasAttribute("hx-post") ? form : null;
  }

  function forms() {
    return Array.prototype.slice.call(document.querySelectorAll("form.autosave[hx-post]"));
  }

  function unsaved(form) {
    if (!stored.has(form)) {
      return false;
    }
    return values(form) !== stored.get(form) || form.querySelector("[aria-invalid=true]") !== null;
  }

  function markInvalid(form) {
    form.querySelectorAll("[aria-describedby]").forEach(function (field) {
      var ids = field.getAttribute("aria-describedby").split(/\s+/);
      var said = ids.some(function (id) {
        var slot = document.getElementById(id);
        return slot !== null && slot.classList.contains("field-error") &&
          slot.textContent.trim() !== "";
      });
      if (said) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
    });
  }

  function sayUnsaved(form) {
    var region = form.querySelector("[role=status][data-unsaved]");
    var text = region ? region.getAttribute("data-unsaved") : "";
    // (a conflict stays on show: its choices are the way out of it)
    if (region && region.textContent.trim() !== text && !region.querySelector(".save-conflict")) {
      region.textContent = text;   // the region stays: only its text changes
    }
  }

  function remember() {
    forms().forEach(function (form) {
      if (!stored.has(form)) {
        stored.set(form, values(form));
      }
    });
  }

  function edited(event) {
    var form = autosaveForm(event.target);
    if (form && unsaved(form)) {
      sayUnsaved(form);
    }
  }

  document.addEventListener("DOMContentLoaded", remember);
  document.addEventListener("htmx:load", remember);
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (form) {
      sending.set(form, values(form));
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (!form) {
      return;
    }
    markInvalid(form);
    // 200: what was sent is stored, but for the fields marked invalid just now
    if (event.detail.xhr && event.detail.xhr.status === 200 && sending.has(form)) {
      stored.set(form, sending.get(form));
    }
    sending.delete(form);
  });

  window.addEventListener("beforeunload", function (event) {
    if (forms().some(unsaved)) {
      event.preventDefault();
      event.returnValue = "";   // older browsers ask only when this is set
    }
  });
})();
