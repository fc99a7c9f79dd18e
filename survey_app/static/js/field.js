/* A section of a visit: live skip logic, autosave, time stamps, photos. */
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) return;
  var stored = JSON.parse(document.getElementById("answers-data").textContent || "{}");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var msg = form.dataset;
  var status = form.querySelector(".saved");
  var items = Array.prototype.slice.call(form.querySelectorAll(".item[data-item]"));
  var trees = {};

  function fieldValue(item) {
    var inputs = item.querySelectorAll("input:not([type=file]), textarea, select");
    var values = [], single = null, isMulti = item.classList.contains("type-multi");
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); single = input.value; }
      } else if (input.value !== "") { single = input.value; }
    });
    if (isMulti) return values;
    if (item.classList.contains("type-scale4") && single !== null) return Number(single);
    if ((item.classList.contains("type-integer") || item.classList.contains("type-decimal") ||
         item.classList.contains("type-duration")) && single !== null) return Number(single);
    return single;
  }

  function applyRelevance() {
    var answers = Object.assign({}, stored);
    items.forEach(function (item) { delete answers[item.dataset.item]; });
    items.forEach(function (item) {
      var rule = item.dataset.relevant, shown = true;
      if (rule) {
        try {
          trees[rule] = trees[rule] || window.Relevant.parse(rule);
          shown = window.Relevant.evaluate(trees[rule], answers);
        } catch (e) { shown = true; }
      }
      item.hidden = !shown;
      Array.prototype.forEach.call(item.querySelectorAll("input, textarea, select"), function (el) {
        if (el.name !== "csrf_token") el.disabled = !shown;
      });
      if (shown) {
        var v = fieldValue(item);
        if (window.Relevant.isAnswered(v)) answers[item.dataset.item] = v;
      }
    });
    showTiming(answers);
  }

  function minutes(a, b) {
    if (!a || !b) return null;
    var p = a.split(":"), q = b.split(":");
    var d = (Number(q[0]) * 60 + Number(q[1])) - (Number(p[0]) * 60 + Number(p[1]));
    return d >= 0 ? d : null;
  }
  function showTiming(answers) {
    var box = form.querySelector(".timing");
    if (!box) return;
    var byRole = {};
    items.forEach(function (item) {
      if (item.dataset.role && !item.hidden) byRole[item.dataset.role] = answers[item.dataset.item];
    });
    var waiting = minutes(byRole.arrival, byRole.service_start);
    var service = minutes(byRole.service_start, byRole.service_end);
    box.querySelector("[data-show=waiting]").textContent = waiting === null ? "-" : waiting;
    box.querySelector("[data-show=service]").textContent = service === null ? "-" : service;
    var total = minutes(byRole.arrival, byRole.service_end);
    box.classList.toggle("over", !!box.dataset.max && total !== null && total > Number(box.dataset.max));
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
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          var errors = res[1].errors || {};
          status.textContent = Object.keys(errors).length ? msg.msgCheck : msg.msgSaved;
        })
        .catch(function () { status.textContent = msg.msgOffline; });
    }, 600);
  }

  form.addEventListener("change", function (e) {
    if (e.target.type === "file") return;
    applyRelevance();
    autosave();
  });
  form.addEventListener("input", function (e) {
    if (e.target.tagName === "TEXTAREA" || e.target.type === "text") autosave();
  });

  form.addEventListener("click", function (e) {
    var stamp = e.target.closest("[data-stamp]");
    if (stamp) {
      var input = document.getElementById(stamp.dataset.stamp);
      var now = new Date();
      input.value = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    var del = e.target.closest("[data-delete-photo]");
    if (del) deletePhoto(del);
  });

  /* Photos: downscale to at most 1600 px on the long side before keeping them. */
  var MAX_SIDE = 1600;
  function downscale(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(img.src);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { reject(new Error("decode")); };
      img.src = URL.createObjectURL(file);
    });
  }
  form.addEventListener("change", function (e) {
    var input = e.target;
    if (input.type !== "file" || !input.files.length) return;
    var box = input.closest(".photos");
    var note = box.querySelector(".photo-status");
    note.textContent = msg.msgUploading;
    downscale(input.files[0]).then(function (blob) {
      var body = new FormData();
      body.append("photo", blob, "photo.jpg");
      body.append("item", box.dataset.photoKey);
      body.append("csrf_token", csrf);
      return fetch(form.dataset.photoUrl, { method: "POST", body: body, credentials: "same-origin" });
    }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { note.textContent = res[1].error || res[1].message; return; }
        var li = document.createElement("li");
        li.dataset.sha = res[1].sha256;
        var img = document.createElement("img");
        img.src = res[1].url; img.alt = msg.msgPhoto;
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "button danger small";
        btn.dataset.deletePhoto = res[1].sha256; btn.textContent = msg.msgDelete;
        li.appendChild(img); li.appendChild(btn);
        box.querySelector(".thumbs").appendChild(li);
        note.textContent = msg.msgPhotoSaved;
      })
      .catch(function () { note.textContent = msg.msgPhotoFailed; })
      .then(function () { input.value = ""; });
  });
  function deletePhoto(button) {
    var box = button.closest(".photos");
    var key = box.dataset.photoKey;
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("item_id", key.indexOf("__") >= 0 ? key.split("__")[1] : "");
    body.append("js", "1");
    fetch(form.dataset.deleteUrl.replace("SHA", button.dataset.deletePhoto),
          { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { if (r.ok) button.closest("li").remove(); });
  }

  applyRelevance();
})();
