// ILS console: live regions. An element with `data-live` re-fetches itself (its own hx-get,
// hx-select and hx-swap) whenever the server says the tenant's data changed. The stream is
// /live (server-sent events); EventSource reconnects by itself.
(function () {
  "use strict";
  var source = null;
  var timer = null;

  function refresh() {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      if (window.htmx) { window.htmx.trigger(el, "ils:changed"); }
    });
  }

  function connect() {
    if (source || !window.EventSource || !document.querySelector("[data-live]")) { return; }
    source = new EventSource("/live");
    source.addEventListener("changed", function () {
      // Several events often arrive together: refresh once for the burst.
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", connect);
})();
