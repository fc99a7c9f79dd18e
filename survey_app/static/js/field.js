/* A section of a visit (server-rendered form): live skip logic, autosave,
   time stamps, photos. Shared pieces live in form-core.js. */
(function () {
  "use strict";
  var core = window.FormCore;
  var form = document.getElementById("section-form");
  if (!form) return;
  var stored = JSON.parse(document.getElementById("answers-data").textContent || "{}");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var msg = form.dataset;
  var status = form.querySelector(".saved");
  var items = Array.prototype.slice.call(form.querySelectorAll(".item[data-item]"));
  var trees = {};
  var header = document.querySelector(".visit-header");
  // The times of the whole visit as the server holds them: other screens' too.
  var known = header ? { arrival: header.dataset.arrival, service_start: header.dataset.start,
                         service_end: header.dataset.end, fee_asked: header.dataset.asked } : {};

  function refresh() {
    var answers = core.applyRelevance(items, stored, trees);
    var times = core.showTiming(form.querySelector(".timing"), items, answers, known);
    if (header) core.headerTimes(header, times);
    core.markFailing(items);
  }

  /* A missing-item link (#item-<instrument>__<item>) lands on the field itself, focused. */
  function focusLinkedItem() {
    var target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var input = target && target.querySelector("input:not([type=hidden]):not([type=file]), textarea, select");
    if (!input) return;
    target.scrollIntoView({ block: "center" });
    input.focus({ preventScroll: true });
  }

  var timer = null;
  function autosave() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var body = new FormData(form);
      body.append("autosave", "1");
      status.textContent = msg.msgSaving;
      fetch(form.dataset.autosave, { method: "POST", body: body, credentials: "same-origin",
                                     headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          status.textContent = Object.keys(j.errors || {}).length ? msg.msgCheck : msg.msgSaved;
        })
        .catch(function () { status.textContent = msg.msgOffline; });
    }, 600);
  }

  form.addEventListener("change", function (e) {
    if (e.target.type === "file") return uploadPhoto(e.target);
    refresh();
    autosave();
  });
  form.addEventListener("input", function (e) {
    if (e.target.tagName === "TEXTAREA" || e.target.type === "text") autosave();
  });
  form.addEventListener("click", function (e) {
    core.dropUndo(form, e.target);
    var stamp = e.target.closest("[data-stamp]");
    if (stamp) return core.stampNow(document.getElementById(stamp.dataset.stamp));
    var pick = e.target.closest("[data-photo-pick]");
    if (pick) return core.pickPhoto(pick);
    var del = e.target.closest("[data-delete-photo]");
    if (del) deletePhoto(del);
  });

  function thumb(box, sha, url) {
    var li = document.createElement("li");
    li.dataset.sha = sha;
    var img = document.createElement("img");
    img.src = url; img.alt = msg.msgPhoto;
    var btn = document.createElement("button");
    btn.type = "button"; btn.className = "button danger small";
    btn.dataset.deletePhoto = sha; btn.textContent = msg.msgDelete;
    li.appendChild(img); li.appendChild(btn);
    box.querySelector(".thumbs").appendChild(li);
  }

  function uploadPhoto(input) {
    if (!input.files.length) return;
    var box = input.closest(".photos");
    box.querySelector(".photo-status").textContent = msg.msgUploading;
    core.downscale(input.files[0]).then(function (blob) { return sendPhoto(box, blob, msg.msgPhotoSaved); })
      .then(function () { input.value = ""; });
  }

  /* Keep a (downscaled) photo for the box's item; the status then counts its photos. */
  function sendPhoto(box, blob, done) {
    var note = box.querySelector(".photo-status");
    var body = new FormData();
    body.append("photo", blob, "photo.jpg");
    body.append("item", box.dataset.photoKey);
    body.append("csrf_token", csrf);
    return fetch(form.dataset.photoUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { note.textContent = res[1].error || res[1].message; return; }
        thumb(box, res[1].sha256, res[1].url);
        core.photoStatus(box, done, msg.msgPhotoCount);
        refresh();
      })
      .catch(function () { note.textContent = msg.msgPhotoFailed; });
  }

  /* Delete at once, with an undo: the photo's bytes are read first, so
     "Undo" keeps them again through the ordinary upload. */
  function deletePhoto(button) {
    var box = button.closest(".photos"), key = box.dataset.photoKey, li = button.closest("li");
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("item_id", key.indexOf("__") >= 0 ? key.split("__")[1] : "");
    body.append("js", "1");
    fetch(li.querySelector("img").src, { credentials: "same-origin" }).then(function (r) { return r.blob(); })
      .then(function (blob) {
        return fetch(form.dataset.deleteUrl.replace("SHA", button.dataset.deletePhoto),
                     { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
          if (!r.ok) return;
          li.remove();
          core.photoStatus(box, msg.msgPhotoDeleted, msg.msgPhotoCount, { label: msg.msgUndo, run: function () {
            sendPhoto(box, blob, msg.msgPhotoRestored);
          } });
        });
      });
  }

  refresh();
  // After load: the browser's own move to the #fragment would take the focus back.
  window.addEventListener("load", focusLinkedItem);
  if (header) setInterval(function () { core.paintClock(header); }, 15000);  // whole minutes
})();
