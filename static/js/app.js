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

  // Buttons that ask before acting: <button data-confirm="Deactivate this user?">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

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
})();
