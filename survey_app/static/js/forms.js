/* Forms that survive an expired token: the error page's "back" returns to the form as
   typed (browser history keeps the fields), and a form shown again from history gets a
   fresh CSRF token, so sending it again works. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-history-back]");
    if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
  window.addEventListener("pageshow", function (event) {
    var fields = document.querySelectorAll("input[name=csrf_token]");
    var fromHistory = event.persisted ||
      (performance.getEntriesByType("navigation")[0] || {}).type === "back_forward";
    if (!fields.length || !fromHistory) return;
    fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j) fields.forEach(function (f) { f.value = j.csrf_token; }); });
  });
})();
