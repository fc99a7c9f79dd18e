/* The review desk: decision dialogs that confirm before anything is posted, a photo
   lightbox, and keyboard shortcuts (a, r, x, j, k). A file, not inline: the CSP forbids
   inline scripts. Native <dialog> gives the focus trap and Escape for free. */
(function () {
  "use strict";
  var SHORTCUTS = { a: "decide-approve", r: "decide-return", x: "decide-reject" };
  var NAV = { j: "next-visit", k: "prev-visit" };
  var box = document.getElementById("lightbox");
  var boxImg = document.getElementById("lightbox-img");
  var boxCaption = document.getElementById("lightbox-caption");

  function openDialog(dialog) {
    if (!dialog || dialog.open) return;
    dialog.showModal();
    var first = dialog.querySelector("select, textarea, button[type=submit]");
    if (first) first.focus();
  }

  function showPhoto(link) {
    var img = link.querySelector("img");
    boxImg.src = link.href;
    boxImg.alt = img ? img.alt : "";
    boxCaption.textContent = link.dataset.caption || "";
    box.showModal();
    box.querySelector("[data-close]").focus();
  }

  // A form the server sent back with errors comes open; make it modal like the others.
  document.querySelectorAll("dialog.decision[open]").forEach(function (dialog) {
    dialog.close();
    openDialog(dialog);
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    var closer = event.target.closest("[data-close]");
    var thumb = event.target.closest("a.thumb");
    if (opener) {
      openDialog(document.getElementById(opener.dataset.dialog));
    } else if (closer) {
      closer.closest("dialog").close();
    } else if (thumb && box) {
      event.preventDefault();
      showPhoto(thumb);
    } else if (event.target === box) {
      box.close(); // a click on the backdrop
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key.toLowerCase();
    var dialog = SHORTCUTS[key] && document.getElementById(SHORTCUTS[key]);
    var link = NAV[key] && document.getElementById(NAV[key]);
    if (dialog) {
      event.preventDefault();
      openDialog(dialog);
    } else if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  });
})();
