// The few lines of plain JS the portal needs next to htmx (no inline script: the CSP forbids it).
(function () {
  "use strict";

  // An htmx request the server refused (403, 413, 429, 500...): show its message in a toast.
  document.addEventListener("htmx:responseError", function (event) {
    var toast = document.getElementById("toast");
    if (!toast) { return; }
    var xhr = event.detail.xhr;
    toast.innerHTML = "";
    var holder = document.createElement("div");
    // The error fragment is our own escaped HTML; fall back to the status text.
    if (xhr.responseText && xhr.getResponseHeader("Content-Type").indexOf("text/html") === 0) {
      holder.innerHTML = xhr.responseText;
    } else {
      holder.textContent = "The server answered " + xhr.status + ". Try again.";
    }
    toast.appendChild(holder);
    toast.hidden = false;
    window.setTimeout(function () { toast.hidden = true; }, 8000);
  });

  document.addEventListener("htmx:sendError", function () {
    var toast = document.getElementById("toast");
    if (!toast) { return; }
    toast.textContent = "The server could not be reached. Check your connection and try again.";
    toast.hidden = false;
  });

  // Close an expanded panel: <button data-clear="#id"> empties that element.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clear]");
    var target = button && document.querySelector(button.getAttribute("data-clear"));
    if (target) { target.innerHTML = ""; }
  });

  // Copy buttons for secrets shown once: <button data-copy="#id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    }
  });
  // Forecast grid: move across cells like a spreadsheet. Tab follows the DOM; Enter / Shift+
  // Enter and the up/down arrows move a row, left/right move a cell when the caret is at the
  // edge. Each cell saves itself on change (htmx), so leaving a cell is what saves it.
  function gridCells(row) {
    return row ? Array.prototype.slice.call(row.querySelectorAll("input.cell")) : [];
  }
  function gridRowWithCells(row, step) {
    var next = row;
    do {
      next = step > 0 ? next.nextElementSibling : next.previousElementSibling;
    } while (next && (next.hidden || gridCells(next).length === 0));
    return next;
  }
  function gridFocus(input) {
    if (input) { input.focus(); input.select(); }
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("table.grid input.cell")) { return; }
    var row = input.closest("tr");
    var cells = gridCells(row);
    var index = cells.indexOf(input);
    var key = event.key;
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    var whole = input.selectionStart === 0 && input.selectionEnd === input.value.length;
    if (key === "Enter" || key === "ArrowDown" || key === "ArrowUp") {
      var target = gridRowWithCells(row, (key === "ArrowUp" || (key === "Enter" && event.shiftKey)) ? -1 : 1);
      event.preventDefault();
      if (target) { gridFocus(gridCells(target)[index]); } else { input.blur(); gridFocus(input); }
    } else if (key === "ArrowLeft" && (atStart || whole) && index > 0) {
      event.preventDefault();
      gridFocus(cells[index - 1]);
    } else if (key === "ArrowRight" && (atEnd || whole) && index < cells.length - 1) {
      event.preventDefault();
      gridFocus(cells[index + 1]);
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("table.grid input.cell")) {
      event.target.select();
    }
  });
  // The answer to a cell save. Saves of several cells run at once and may answer out of
  // order: a piece answered out of band (row totals, line links, totals per month, summary)
  // older than the one shown (a smaller data-stamp) is dropped.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fresh = event.detail.fragment && event.detail.fragment.firstElementChild;
    var shown = event.detail.target;
    if (fresh && shown && fresh.hasAttribute("data-stamp") && shown.hasAttribute("data-stamp") &&
        Number(fresh.getAttribute("data-stamp")) < Number(shown.getAttribute("data-stamp"))) {
      event.detail.shouldSwap = false;
    }
  });
  // A saved cell (200, HX-Reswap "update-cell") is not replaced but updated in place: the user
  // may already be back in it, typing; the input keeps their focus and text and only learns
  // the value it now compares with (hx-vals "was"), so a second change queued meanwhile by
  // htmx goes out after this one with the right value. A refused save (409, 422) replaces the
  // cell (hx-swap outerHTML): the server's state wins.
  htmx.defineExtension("grid-cell", {
    handleSwap: function (swapStyle, target, fragment) {
      if (swapStyle !== "update-cell") { return false; }
      var fresh = fragment.querySelector(".cv");
      var saved = fresh && fresh.querySelector("input.cell");
      var old = target.querySelector("input.cell");
      if (!saved || !old) {  // nothing to keep: the answer replaces the cell
        if (!fresh) { return false; }
        target.replaceWith(fresh);
        return [fresh];
      }
      old.setAttribute("hx-vals", saved.getAttribute("hx-vals"));
      old.removeAttribute("aria-invalid");
      if (saved.hasAttribute("placeholder")) {
        old.setAttribute("placeholder", saved.getAttribute("placeholder"));
      }
      target.className = fresh.className;
      var message = target.querySelector(".cell-msg");
      if (message) { message.remove(); }
      return true;
    }
  });
  // Price row of one line, or of all lines: <button data-toggle-prices="row-id">
  document.addEventListener("click", function (event) {
    var one = event.target.closest("[data-toggle-prices]");
    if (one) {
      var row = document.getElementById(one.getAttribute("data-toggle-prices"));
      if (row) {
        row.hidden = !row.hidden;
        one.setAttribute("aria-expanded", String(!row.hidden));
      }
      return;
    }
    var all = event.target.closest("[data-toggle-all-prices]");
    if (all) {
      var show = all.getAttribute("aria-pressed") !== "true";
      all.setAttribute("aria-pressed", String(show));
      all.textContent = show ? "Hide prices" : "Show prices";
      document.querySelectorAll("table.grid tr.price-row").forEach(function (priceRow) {
        priceRow.hidden = !show;
      });
      document.querySelectorAll("[data-toggle-prices]").forEach(function (button) {
        button.setAttribute("aria-expanded", String(show));
      });
    }
  });
  // A select that submits its form on change: <select data-autosubmit>
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });
  // Rep workbook upload: choosing a file named "... - JR.xlsx" selects the rep with initials JR
  // (the user may still change it): <input type="file" data-rep-from-name> + <select data-rep-select>
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-rep-from-name]") || !input.form) { return; }
    var select = input.form.querySelector("select[data-rep-select]");
    var name = input.files && input.files[0] ? input.files[0].name : "";
    var match = / - *([A-Za-z]{1,6}) *(\(\d+\))? *\.xls[xb]$/i.exec(name);
    if (!select || !match) { return; }
    var options = select.querySelectorAll("option[data-rep-code='" + match[1].toUpperCase() + "']");
    if (options.length === 1) { select.value = options[0].value; }
  });
})();
