/* The OPD and service choice (start form, change form): only the chosen OPD's
   services are offered, and none is picked for the evaluator. */
(function () {
  "use strict";
  var confirm = document.getElementById("confirm-change");
  if (confirm) confirm.focus();  // the question to answer before anything changes
  var data = document.getElementById("services-data");
  var opd = document.getElementById("opd");
  var service = document.getElementById("service");
  if (!data || !opd || !service) return;
  var services = JSON.parse(data.textContent);
  function filter() {
    var chosen = Number(opd.value);
    Array.prototype.forEach.call(service.options, function (option) {
      if (option.value === "") return;  // the "Choose a service…" placeholder stays
      var svc = services.find(function (s) { return s.id === Number(option.value); });
      var show = !!svc && svc.opd_id === chosen;
      option.hidden = !show;
      option.disabled = !show;
    });
    if (service.selectedOptions[0] && service.selectedOptions[0].disabled) service.value = "";
  }
  opd.addEventListener("change", filter);
  filter();
})();
