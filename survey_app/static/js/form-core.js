/* What the server-rendered form and the offline app share: reading a field,
   live skip logic, the timing box, time stamps, failing answers and their
   evidence, the photo control and its undo, and photo downscaling. */
(function (global) {
  "use strict";
  var MAX_SIDE = 1600;
  /* JPEG quality of a downscaled photo: the notice's smallest print stays readable
     (benchmarks/bench_photo_quality.py and README.md: bytes against quality). */
  var QUALITY = 0.6;
  /* The answer's own fields: not the photo input, not the detail (note) of a failing answer. */
  var ANSWER_FIELDS = "input:not([type=file]):not([data-note]), textarea:not([data-note]), select";

  function fieldValue(item) {
    var inputs = item.querySelectorAll(ANSWER_FIELDS);
    var values = [], single = null, isMulti = item.classList.contains("type-multi");
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); single = input.value; }
      } else if (input.value !== "") { single = input.value; }
    });
    if (isMulti) return values.length ? values : null;
    if (single === null) return null;
    if (/type-(scale4|integer|decimal|duration)/.test(item.className)) return Number(single);
    return single;
  }

  function setFieldValue(item, value) {
    var inputs = item.querySelectorAll(ANSWER_FIELDS);
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        var list = Array.isArray(value) ? value.map(String) : [String(value)];
        input.checked = value !== null && value !== undefined && list.indexOf(input.value) >= 0;
      } else if (input.name !== "csrf_token") {
        input.value = value === null || value === undefined ? "" : value;
      }
    });
  }

  /* Show or hide items by their rules; answers of hidden items do not count. */
  function applyRelevance(items, stored, trees) {
    var answers = Object.assign({}, stored);
    items.forEach(function (item) { delete answers[item.dataset.item]; });
    items.forEach(function (item) {
      var rule = item.dataset.relevant, shown = true;
      if (rule) {
        try {
          trees[rule] = trees[rule] || global.Relevant.parse(rule);
          shown = global.Relevant.evaluate(trees[rule], answers);
        } catch (e) { shown = true; }
      }
      item.hidden = !shown;
      Array.prototype.forEach.call(item.querySelectorAll("input, textarea, select"), function (el) {
        if (el.name !== "csrf_token") el.disabled = !shown;
      });
      if (shown) {
        var v = fieldValue(item);
        if (global.Relevant.isAnswered(v)) answers[item.dataset.item] = v;
      }
    });
    return answers;
  }

  function minutes(a, b) {
    if (!a || !b) return null;
    var p = a.split(":"), q = b.split(":");
    var d = (Number(q[0]) * 60 + Number(q[1])) - (Number(p[0]) * 60 + Number(p[1]));
    return d >= 0 ? d : null;
  }

  /* The timing card. `known` holds the role-tagged times of the whole visit (other
     screens too), so a screen without the arrival time still shows the minutes. */
  function showTiming(box, items, answers, known) {
    var byRole = rolesOf(items, answers, known);
    if (!box) return byRole;
    var waiting = minutes(byRole.arrival, byRole.service_start);
    var service = minutes(byRole.service_start, byRole.service_end);
    box.querySelector("[data-show=waiting]").textContent = global.Format.minutes(waiting);
    box.querySelector("[data-show=service]").textContent = global.Format.minutes(service);
    var total = minutes(byRole.arrival, byRole.service_end);
    box.classList.toggle("over", !!box.dataset.max && total !== null && total > Number(box.dataset.max));
    return byRole;
  }

  /* Answers by role: `known` (the whole visit's) overridden by this screen's items. */
  function rolesOf(items, answers, known) {
    var byRole = Object.assign({}, known || {});
    items.forEach(function (item) {
      if (!item.dataset.role) return;
      if (item.hidden || !global.Relevant.isAnswered(answers[item.dataset.item])) delete byRole[item.dataset.role];
      else byRole[item.dataset.role] = answers[item.dataset.item];
    });
    return byRole;
  }

  /* Near the published maximum from 80 % of it: time to note it while still at the counter. */
  var NEAR = 0.8;

  function clockState(mins, max) {
    if (mins === null || !max) return "";
    return mins > max ? "over" : mins >= NEAR * max ? "near" : "ok";
  }

  function hhmm(d) { return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0"); }
  function isoDay(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  /* Waiting (arrival to service start) and total (arrival to service end) minutes;
     a time not entered yet runs up to now, but only on the day of the visit. */
  function visitClock(times, max, visitDate, now) {
    var live = !!times.arrival && isoDay(now) === visitDate;
    function upTo(end) { return end ? minutes(times.arrival, end) : live ? minutes(times.arrival, hhmm(now)) : null; }
    var waiting = upTo(times.service_start), total = upTo(times.service_end);
    return { waiting: waiting, total: total, waitingLive: !times.service_start && waiting !== null,
             totalLive: !times.service_end && total !== null,
             waitingState: clockState(waiting, max), totalState: clockState(total, max) };
  }

  /* A visit header's times and fee from answers by role (field/_visit_header.html);
     the clocks repainted. */
  function headerTimes(box, roles) {
    box.dataset.arrival = roles.arrival || ""; box.dataset.start = roles.service_start || "";
    box.dataset.end = roles.service_end || "";
    box.querySelector("[data-fill=arrival]").textContent = roles.arrival || "-";
    var asked = roles.fee_asked, published = box.dataset.fee;
    var over = asked !== undefined && asked !== null && published !== "" && Number(asked) > Number(published);
    box.querySelector("[data-fill=fee]").textContent = global.Format.rupiah(asked);
    box.querySelector(".vh-fee").dataset.state = over ? "over" : "";
    var feeState = box.querySelector("[data-fill=fee-state]");
    feeState.textContent = over ? feeState.dataset.msg : "";
    paintClock(box);
  }

  /* Paint a visit header's clocks from its data-* times; the words come from its data-msg-*. */
  function paintClock(box, now) {
    if (!box) return;
    var d = box.dataset;
    var c = visitClock({ arrival: d.arrival, service_start: d.start, service_end: d.end },
                       Number(d.max) || null, d.date, now || new Date());
    ["waiting", "total"].forEach(function (k) {
      var slot = box.querySelector("[data-clock=" + k + "]");
      if (!slot) return;
      var state = c[k + "State"];
      slot.dataset.state = state;
      slot.querySelector(".clock-value").textContent = global.Format.minutes(c[k]) + (c[k + "Live"] ? " " + d.msgLive : "");
      slot.querySelector(".clock-state").textContent = state === "over" ? "\u2716 " + d.msgOver
        : state === "near" ? "\u26A0 " + d.msgNear : "";
    });
  }

  /* Whether an answer fails a checkable item, from the item's definition: a yesno
     item fails on its `fails_on` answer ("no" unless the instrument says "yes"),
     a choice item with `pass` on any other option. The server's rule is
     Item.passed in survey_app/core/instruments.py; tests/failing_cases.json holds both to it. */
  function failing(def, value) {
    if (!def || value === null || value === undefined || value === "na") return false;
    if (def.type === "yesno") return value === (def.fails_on || "no");
    if (def.type === "choice" && Array.isArray(def.pass)) return def.pass.indexOf(value) < 0;
    return false;
  }

  /* The checkable part of an item's definition, as the form markup carries it. */
  function itemCheck(item) {
    var type = (/type-(\w+)/.exec(item.className) || [])[1];
    return { type: type, fails_on: item.dataset.failsOn,
             pass: item.dataset.pass ? JSON.parse(item.dataset.pass) : undefined };
  }

  /* Mark failing answers in words (not colour alone) and open their detail and
     photo control; a detail or photo already given keeps its box open. */
  function markFailing(items) {
    items.forEach(function (item) {
      var flag = item.querySelector("[data-failing-flag]");
      if (!flag) return;
      var isFailing = !item.hidden && failing(itemCheck(item), fieldValue(item));
      var box = item.querySelector("[data-evidence]"), note = box.querySelector("[data-note]");
      item.classList.toggle("failing", isFailing);
      flag.hidden = !isFailing;
      box.hidden = !(isFailing || note.value.trim() || box.querySelector(".thumbs li"));
    });
  }

  /* The details of this screen's checkable items, by item id (null when empty). */
  function notesOf(items) {
    var notes = {};
    items.forEach(function (item) {
      var note = item.querySelector("[data-note]");
      if (note) notes[item.dataset.item] = note.value.trim() || null;
    });
    return notes;
  }

  /* One line "<label>: <detail>" per failing answer ({label, detail} rows, in order). */
  function narrativeDraft(rows) {
    return rows.map(function (r) { return (r.label + ": " + (r.detail || "").trim()).trim(); }).join("\n");
  }

  /* The one "add evidence" button opens the file input beside it (camera or gallery). */
  function pickPhoto(button) {
    button.parentNode.querySelector("input[type=file]").click();
  }

  /* A photo box's status: what happened, how many photos it now holds, and an
     optional undo button (kept until the next action in the form). */
  function photoStatus(box, text, countText, undo) {
    var note = box.querySelector(".photo-status");
    var n = box.querySelectorAll(".thumbs li").length;
    note.replaceChildren(document.createTextNode(text + " · " + countText.replace("{n}", n)));
    if (undo) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "linklike undo"; button.textContent = undo.label;
      button.addEventListener("click", function (e) {
        e.stopPropagation();
        note.replaceChildren();
        undo.run();
      });
      var offer = document.createElement("span");
      offer.className = "undo-offer";
      offer.append(" · ", button);
      note.appendChild(offer);
    }
  }

  /* Any other action in the form ends the chance to undo a delete. */
  function dropUndo(form, except) {
    form.querySelectorAll(".photo-status .undo-offer").forEach(function (offer) {
      if (!offer.contains(except)) offer.remove();
    });
  }

  function stampNow(input) {
    var now = new Date();
    input.value = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /* At most 1600 px on the long side, re-encoded as JPEG, before it is kept. */
  function downscale(file, quality) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(img.src);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", quality || QUALITY);
      };
      img.onerror = function () { reject(new Error("decode")); };
      img.src = URL.createObjectURL(file);
    });
  }

  /* Working days, as core/workdays.py counts them: Monday to Friday, not a day off.
     `days off` is an object keyed by "YYYY-MM-DD" (national holidays, cuti bersama). */
  function isWorkingDay(iso, daysOff) {
    var d = new Date(iso + "T00:00:00Z").getUTCDay();
    return d !== 0 && d !== 6 && !daysOff[iso];
  }
  function nextDay(iso) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }
  /* The n-th working day after `iso` (31 Dec 2025 + 1 is 2 Jan 2026). */
  function addWorkingDays(iso, n, daysOff) {
    var day = iso;
    while (n > 0) { day = nextDay(day); if (isWorkingDay(day, daysOff)) n -= 1; }
    return day;
  }
  /* Working days after `from`'s day up to `to`'s day (0 the same day). */
  function workingDaysBetween(from, to, daysOff) {
    var day = from.slice(0, 10), last = to.slice(0, 10), n = 0;
    while (day < last) { day = nextDay(day); if (isWorkingDay(day, daysOff)) n += 1; }
    return n;
  }

  global.FormCore = {
    isWorkingDay: isWorkingDay, addWorkingDays: addWorkingDays, workingDaysBetween: workingDaysBetween,
    fieldValue: fieldValue, setFieldValue: setFieldValue, applyRelevance: applyRelevance,
    minutes: minutes, showTiming: showTiming, stampNow: stampNow, downscale: downscale,
    failing: failing, rolesOf: rolesOf, visitClock: visitClock, paintClock: paintClock, headerTimes: headerTimes,
    itemCheck: itemCheck, markFailing: markFailing, notesOf: notesOf,
    narrativeDraft: narrativeDraft, pickPhoto: pickPhoto, photoStatus: photoStatus, dropUndo: dropUndo
  };
})(window);
