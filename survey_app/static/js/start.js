/* Start form: show only the services of the chosen OPD. */
(function () {
  "use strict";
  var data = document.getElementById("services-data");
  var opd = document.getElementById("opd");
  var service = document.getElementById("service");
  if (!data || !opd || !service) return;
  var services = JSON.parse(data.textContent);
  function filter() {
    var chosen = Number(opd.value), first = null;
    Array.prototype.forEach.call(service.options, function (option) {
      var svc = services.find(function (s) { return s.id === Number(option.value); });
      var show = svc && svc.opd_id === chosen;
      option.hidden = !show;
      option.disabled = !show;
      if (show && first === null) first = option;
    });
    if (service.selectedOptions[0] && service.selectedOptions[0].disabled && first) first.selected = true;
  }
  opd.addEventListener("change", filter);
  filter();
})();
