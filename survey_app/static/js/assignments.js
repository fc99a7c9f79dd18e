/* The plan form: the service list shows only the chosen OPD's services, and choosing
   another OPD clears the service (the server refuses a mismatch anyway). */
(function () {
  "use strict";
  var opd = document.getElementById("opd");
  var service = document.getElementById("service");
  if (!opd || !service) return;
  var prompt = service.querySelector("option[value='']");
  var firstPrompt = prompt ? prompt.textContent : "";

  function show(reset) {
    var chosen = opd.value;
    service.querySelectorAll("option[data-opd]").forEach(function (option) {
      var other = option.dataset.opd !== chosen;
      option.hidden = other;
      option.disabled = other;
    });
    service.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([disabled])");
    });
    if (prompt) prompt.textContent = chosen ? service.dataset.prompt : firstPrompt;
    service.disabled = !chosen;
    var current = service.options[service.selectedIndex];
    if (reset || (current && current.disabled)) service.value = "";
  }

  opd.addEventListener("change", function () { show(true); });
  show(false);
})();
