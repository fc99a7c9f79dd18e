/* The visit header of the online pages: its clocks run while the visit is under way;
   on the send screen, a refused send is announced where focus lands. */
(function () {
  "use strict";
  var refused = document.getElementById("send-alert");
  if (refused) refused.focus();  // why nothing was sent: read first, never silence
  var box = document.querySelector(".visit-header");
  if (!box) return;
  function paint() { window.FormCore.paintClock(box); }
  paint();
  setInterval(paint, 15000);  // the clocks show whole minutes
})();
