// Long tables that sort and filter (templates/partials/tables.html; docs/dashboard.md).
// Progressive enhancement: the server sends a plain table in the natural order of units
// (tenants/ordering.py), which works without this file. Here:
// - each header of a table.sortable with data-sort ("natural", "text" or "number") becomes
//   a button; the header says how the table is sorted (aria-sort); "natural" sorts by the
//   order the server sent, "number" by the cell's data-value (else its text read as
//   Vietnamese "1.234,5"), "text" by Vietnamese collation;
// - the filter box (rendered hidden beside the table) appears, and hides the rows of the
//   first tbody whose text does not hold what is typed, accents and case aside, and says
//   how many rows are shown in its live region.
// No inline handler or style: the Content-Security-Policy refuses them (portal/security.py).
(function () {
  "use strict";
  var collator = new Intl.Collator("vi", { numeric: true, sensitivity: "base" });

  function plain(text) {
    return text.replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function numberOf(cell) {
    var given = cell.getAttribute("data-value");
    var text = given !== null ? given : cell.textContent.replace(/\./g, "").replace(",", ".");
    var value = parseFloat(text.replace(/[^\d.eE+-]/g, ""));
    return isNaN(value) ? null : value;
  }

  function compare(kind, a, b) {
    if (kind === "number") {
      var x = numberOf(a.cell), y = numberOf(b.cell);
      if (x === null || y === null) {       // no figure: after every figure, either way
        return x === y ? 0 : (x === null ? 1 : -1);
      }
      return x - y;
    }
    if (kind === "text") {
      return collator.compare(a.cell.textContent.trim(), b.cell.textContent.trim());
    }
    return a.position - b.position;        // "natural": the order the server sent
  }

  function sortBy(table, header, direction) {
    var body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(header.parentNode.cells, header);
    var kind = header.getAttribute("data-sort");
    var rows = Array.prototype.map.call(body.rows, function (row) {
      return { row: row, cell: row.cells[column] || row, position: +row.dataset.position };
    });
    rows.sort(function (a, b) {
      var order = compare(kind, a, b);
      if (kind === "number" && (numberOf(a.cell) === null || numberOf(b.cell) === null)) {
        return order || a.position - b.position;
      }
      return (direction === "descending" ? -order : order) || a.position - b.position;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      if (th === header) {
        th.setAttribute("aria-sort", direction);
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  }

  function enhanceSorting(table) {
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row, i) {
      row.dataset.position = i;
    });
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (th.firstChild) {
        button.appendChild(th.firstChild);
      }
      var arrow = document.createElement("span");
      arrow.className = "sort-arrow";
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var now = th.getAttribute("aria-sort");
        sortBy(table, th, now === "ascending" ? "descending" : "ascending");
      });
    });
  }

  function enhanceFilter(table, box) {
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return plain(row.textContent); });
    box.hidden = false;
    function apply() {
      var wanted = plain(input.value);
      var shown = 0;
      rows.forEach(function (row, i) {
        var keep = wanted === "" || texts[i].indexOf(wanted) !== -1;
        row.hidden = !keep;
        shown += keep ? 1 : 0;
      });
      status.textContent = wanted === "" ? "" : status.getAttribute("data-template")
        .replace("{shown}", shown).replace("{total}", rows.length);
    }
    input.addEventListener("input", apply);
    if (input.value) {
      apply();      // the browser kept what was typed (back, reload)
    }
  }

  function enhance() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      if (!table.tBodies.length || table.dataset.enhanced) {
        return;
      }
      table.dataset.enhanced = "true";
      enhanceSorting(table);
      var box = document.querySelector('.table-filter[data-filter-for="' + table.id + '"]');
      if (box) {
        enhanceFilter(table, box);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
  // a page of a paged table swapped in by htmx is sortable too
  document.addEventListener("htmx:afterSettle", enhance);
})();
