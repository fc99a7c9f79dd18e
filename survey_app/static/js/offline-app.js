/* The field app that keeps working without a network.
   Visits live in IndexedDB (LocalDB) under the user who made them; a submitted
   visit waits in the outbox until the server has confirmed it and every photo.
   Forms are the server's WTForms markup (fragments), filled from local data. */
(function () {
  "use strict";
  var core = window.FormCore, local = window.LocalDB;
  var root = document.getElementById("app");
  var T = JSON.parse(document.getElementById("i18n").textContent);
  var boot = null, user = null, trees = {}, syncing = false, retryDelay = 5000, retryTimer = null;
  var LANG = document.documentElement.lang === "en" ? "en" : "id", LANGS = ["id", "en"], bootFresh = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function status(text) { document.getElementById("app-status").textContent = text || ""; }

  /* --- start-up ------------------------------------------------------------ */

  function start() {
    if (followLanguage()) return;
    watchConnection();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    loadBootstrap().then(function (data) {
      boot = data; user = data.user;
      document.getElementById("app-user").textContent = user.name;
      return Promise.all(data.instruments.concat(probeBoot().instruments).map(keepFragment));
    }).then(function () {
      document.body.dataset.ready = "1";
      window.addEventListener("hashchange", route);
      window.addEventListener("online", function () { sync(false); });
      document.getElementById("sync-now").addEventListener("click", function () { sync(true); });
      document.getElementById("logout").addEventListener("click", logout);
      document.getElementById("lang-switch").addEventListener("click", switchLanguage);
      if (bootFresh) agreeLanguage(boot.lang);
      if (window.BroadcastChannel) new BroadcastChannel("survey-visits").onmessage = function () { refreshHeader(); };
      setInterval(function () {  // the visit header's clocks show whole minutes
        document.querySelectorAll(".visit-header").forEach(function (box) { core.paintClock(box); });
      }, 15000);
      route();
      sync(false);
    }).catch(function (e) {
      if (e.message !== "login") root.replaceChildren(el("p", { class: "flash error", text: T.needOnline }));
    });
  }

  /* Fresh from the server when online; otherwise the copy kept on the tablet. */
  function loadBootstrap() {
    return fetch("/api/v1/bootstrap", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { location.href = "/login?next=/field/"; throw new Error("login"); }
      if (!r.ok) throw new Error("bootstrap");
      return r.json();
    }).then(function (data) {
      bootFresh = true;
      return local.put("meta", { key: "bootstrap", value: data }).then(function () { return data; });
    }, function (error) {
      /* Offline: the copy of the last user logged in here (removed on logout). */
      if (error.message === "login") throw error;
      return local.get("meta", "bootstrap").then(function (kept) {
        if (!kept) throw new Error("offline");
        return kept.value;
      });
    });
  }

  /* Each instrument version's form, kept locally so a visit keeps the version it began on;
     in both languages, so the language can be switched offline. */
  function keepFragment(inst) {
    return Promise.all(LANGS.map(function (lang) {
      var kept = keepFragmentIn(inst, lang);
      return lang === LANG ? kept : kept.catch(function () { return null; });
    }));
  }

  function fragmentKey(inst, lang) { return inst.id + ":" + inst.version + ":" + (lang || LANG); }

  function keepFragmentIn(inst, lang) {
    var key = fragmentKey(inst, lang);
    return local.get("fragments", key).then(function (have) {
      if (have) return have;
      return fetch(inst.fragment + "?lang=" + lang, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error("fragment");
        return r.text();
      }).then(function (html) {
        return local.put("fragments", { key: key, html: html, definition: inst.definition, title: inst.title });
      });
    });
  }

  /* Read-modify-write of one visit, refused once it has left the draft states
     (submitted in another tab, say), so two tabs never make two versions. */
  function update(uuid, change) {
    return local.get("visits", uuid).then(function (fresh) {
      if (!fresh || fresh.owner !== user.id || (fresh.state !== "draft" && fresh.state !== "attention")) {
        throw new Error("not editable");
      }
      change(fresh);
      fresh.updated = new Date().toISOString();
      return local.put("visits", fresh).then(function () {
        if (window.BroadcastChannel) new BroadcastChannel("survey-visits").postMessage(uuid);
        return fresh;
      });
    });
  }

  function mine() {
    return local.byOwner(user.id).then(function (list) {
      return list.sort(function (a, b) { return (b.updated || "").localeCompare(a.updated || ""); });
    });
  }

  function route() {
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    refreshHeader();
    if (parts[0] === "start") return showStart(parts[1] ? Number(parts[1]) : null);
    if (parts[0] === "visit") return showVisit(parts[1], Number(parts[2] || 0), parts[3] ? decodeURIComponent(parts[3]) : null);
    if (parts[0] === "where") return showWhere(parts[1], parts[2] || "review");
    if (parts[0] === "review") return showReview(parts[1]);
    if (parts[0] === "probes") return showProbes();
    if (parts[0] === "probe-new") return newProbe(parts[1] ? Number(parts[1]) : null);
    if (parts[0] === "probe") return showProbe(parts[1]);
    return showList();
  }

  /* Read first, then written together: the counts and the last send never disagree on screen. */
  function refreshHeader() {
    return Promise.all([mine(), local.get("meta", "lastSent:" + user.id)]).then(function (both) {
      var list = both[0].filter(isVisit), meta = both[1];
      var waiting = both[0].filter(function (v) { return v.state === "outbox"; }).length;
      document.getElementById("outbox-count").textContent = fmt(T.waiting, { n: waiting });
      document.getElementById("kept-count").textContent = list.length === 1 ? T.keptOne : fmt(T.kept, { n: list.length });
      document.getElementById("last-sync").textContent = meta ? fmt(T.lastSync, { when: sentWhen(meta.value) }) : "";
    });
  }

  /* --- list ---------------------------------------------------------------- */

  /* Visits the server holds for this user (returned ones come back to the tablet):
     fresh when the server answered, else the last known copy (fresh: false). */
  function serverVisits() {
    return fetch("/api/v1/visits", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("offline");
      return r.json();
    }).then(function (data) {
      return local.put("meta", { key: "server:" + user.id, value: data.visits })
        .then(function () { return { visits: data.visits, fresh: true }; });
    }).catch(function () {
      return local.get("meta", "server:" + user.id).then(function (kept) {
        return { visits: kept ? kept.value : [], fresh: false };
      });
    });
  }

  /* Bring a returned visit onto the tablet as the next revision, to correct it. */
  function takeReturned(uuid) {
    return fetch("/api/v1/visits/" + uuid, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("offline");
      return r.json();
    }).then(function (server) {
      return Promise.all(server.instruments.map(function (i) {
        var inst = boot.instruments.find(function (b) { return b.id === i.id && b.version === i.version; });
        return inst ? keepFragment(inst) : null;
      })).then(function () { return fetchPhotos(server.photos); }).then(function (gaps) {
        if (gaps) status(fmt(T.photosNotFetched, { n: gaps }));
        return local.put("visits", { uuid: server.uuid, owner: user.id, state: "draft", opd_id: server.opd_id,
          service_id: server.service_id, visit_date: server.visit_date, instruments: server.instruments,
          answers: server.answers, notes: server.notes || {}, photos: server.photos, revision: server.revision + 1,
          photo_gaps: gaps,
          reason: server.review_note || "", created: new Date().toISOString(), updated: new Date().toISOString() });
      });
    }).then(function () { location.hash = "#/visit/" + uuid + "/0"; })
      .catch(function () { status(T.needOnline); });
  }

  function showList() {
    Promise.all([mine(), serverVisits()]).then(function (both) {
      var list = both[0].filter(isVisit).sort(newestFirst), server = both[1], onTablet = {}, known = {};
      list.forEach(function (v) { onTablet[v.uuid] = v; });
      server.visits.forEach(function (s) { known[s.uuid] = s; });
      var returned = server.visits.filter(function (s) {
        var here = onTablet[s.uuid];
        return s.status === "returned" && (!here || (here.state === "sent" && (here.revision || 1) <= s.revision));
      }).sort(newestFirst);
      var groups = [["attention", T.attention], ["draft", T.drafts], ["outbox", T.outbox]];
      var openPlans = probePlansOpen(both[0]).length;
      var page = el("div", {}, [el("div", { class: "page-head" }, [
        el("h1", { text: T.myVisits }),
        el("a", { class: "button", href: "#/probes", id: "to-probes",
                  text: T.probes + (openPlans ? " (" + openPlans + ")" : "") }),
        el("a", { class: "button primary", href: "#/start", text: T.startVisit })])]);
      var started = {};
      list.forEach(function (v) { if (v.assignment_id) started[v.assignment_id] = v; });
      var planned = (boot.assignments || []).filter(function (a) { return !started[a.id] || started[a.id].state === "draft"; });
      if (planned.length) {
        var plan = el("ul", { class: "visit-list" });
        planned.forEach(function (a) {
          var opd = boot.opds.find(function (o) { return o.id === a.opd_id; }) || { name: "?" };
          var svc = boot.services.find(function (s) { return s.id === a.service_id; }) || { name: "?" };
          var draft = started[a.id];
          plan.appendChild(el("li", { class: "visit assignment state-" + a.state, "data-assignment": String(a.id) }, [
            el("a", { href: draft ? "#/visit/" + draft.uuid + "/0" : "#/start/" + a.id }, [
              el("strong", { text: opd.name }),
              el("span", { text: svc.name + " · " + fmt(T.window, { from: longDate(a.window_start), to: longDate(a.window_end) }) }),
              el("span", { text: (a.state === "late" ? T.late + " · " : "") + (draft ? T.continueVisit : T.startFromAssignment) })])]));
        });
        page.appendChild(el("section", { class: "card assignments" }, [
          el("h2", { text: T.assignments + " " }, [el("span", { class: "count", text: String(planned.length) })]), plan]));
      }
      if (returned.length) {
        var back = el("ul", { class: "visit-list" });
        returned.forEach(function (r) {
          var row = visitRow(fromServer(r, "returned"));
          showOutcome(row, r, server.fresh, !server.fresh);  /* the heading says it; offline, that it may be old */
          var fix = el("button", { type: "button", class: "button", text: T.correct });
          fix.addEventListener("click", function () { takeReturned(r.uuid); });
          row.appendChild(fix);
          back.appendChild(row);
        });
        page.appendChild(el("section", { class: "card state-returned" }, [
          el("h2", { text: T.returned + " " }, [el("span", { class: "count", text: String(returned.length) })]), back]));
      }
      groups.forEach(function (g) {
        var items = list.filter(function (v) { return v.state === g[0]; });
        if (items.length) page.appendChild(listSection(g[0], g[1], items, known, server.fresh));
      });
      var sent = sentVisits(list, server.visits, returned);
      if (sent.length) page.appendChild(listSection("sent", T.sent, sent, known, server.fresh));
      if (!list.length && !sent.length && !returned.length) page.appendChild(el("p", { class: "empty", text: T.noVisits }));
      /* Unchanged after a sync: keep the rows, so a tap already on its way lands. */
      if (root.firstElementChild && root.firstElementChild.isEqualNode(page)) return;
      root.replaceChildren(page);
    });
  }

  function listSection(state, title, items, known, fresh) {
    var ul = el("ul", { class: "visit-list" });
    items.forEach(function (v) { ul.appendChild(rowFor(v, known[v.uuid], fresh)); });
    return el("section", { class: "card state-" + state }, [
      el("h2", { text: title + " " }, [el("span", { class: "count", text: String(items.length) })]), ul]);
  }

  function visitRow(v) {
    var opd = boot.opds.find(function (o) { return o.id === v.opd_id; }) || { name: "?" };
    var svc = boot.services.find(function (s) { return s.id === v.service_id; }) || { name: "?" };
    var target = v.state === "draft" || v.state === "attention" ? "#/visit/" + v.uuid + "/0"
      : v.state === "returned" || !v.owner ? "#/list" : "#/review/" + v.uuid;
    var li = el("li", { class: "visit", "data-uuid": v.uuid }, [
      el("a", { href: target }, [el("strong", { text: opd.name }),
        el("span", { text: svc.name + " · " + window.Format.shortDate(v.visit_date) })])]);
    if (v.reason) li.appendChild(el("p", { class: "note reason", text: v.reason }));
    if (v.state === "outbox") li.appendChild(el("span", { class: "progress", "data-uuid": v.uuid, role: "status" }));
    return li;
  }

  /* --- history: outcomes, order, discarding a draft ------------------------- */

  /* Newest visit first, then the latest change: in every list. */
  function newestFirst(a, b) {
    return (b.visit_date || "").localeCompare(a.visit_date || "") ||
      (b.updated || b.updated_at || "").localeCompare(a.updated || a.updated_at || "");
  }

  /* A visit as the server lists it, shaped as the tablet's rows are. */
  function fromServer(s, state) {
    return { uuid: s.uuid, opd_id: s.opd_id, service_id: s.service_id, visit_date: s.visit_date,
             updated_at: s.updated_at, state: state };
  }

  /* Sent visits once each: this tablet's, and those the server holds from elsewhere;
     a returned one is listed under Returned only. */
  function sentVisits(list, serverList, returned) {
    var here = {}, back = {};
    list.forEach(function (v) { here[v.uuid] = v; });
    returned.forEach(function (r) { back[r.uuid] = true; });
    var sent = list.filter(function (v) { return v.state === "sent" && !back[v.uuid]; });
    serverList.forEach(function (s) {
      if (!here[s.uuid] && !back[s.uuid] && s.status !== "draft") sent.push(fromServer(s, "sent"));
    });
    return sent.sort(newestFirst);
  }

  function rowFor(v, known, fresh) {
    var row = visitRow(v);
    if (v.state === "sent") showOutcome(row, known, fresh);
    if (v.state === "draft") row.appendChild(discardButton(v));
    if (v.state === "draft" && v.photo_gaps) {
      row.appendChild(el("p", { class: "note", text: fmt(T.photosNotFetched, { n: v.photo_gaps }) }));
    }
    return row;
  }

  /* What the server decided, with the supervisor's note; offline, the last known. */
  function showOutcome(row, known, fresh, withLabel) {
    var label = known && T.outcome[known.status];
    if (!label) return;
    row.classList.add("outcome-" + known.status);
    if (withLabel !== false) {
      row.appendChild(el("p", { class: "outcome", text: fresh ? label : fmt(T.lastKnown, { status: label }) }));
    }
    if (known.review_note && (known.status === "returned" || known.status === "rejected")) {
      row.appendChild(el("p", { class: "note reason", text:
        (known.status === "rejected" ? T.rejectReason : T.supervisorNote) + " " + known.review_note }));
    }
  }

  function discardButton(v) {
    var button = el("button", { type: "button", class: "button danger small discard", text: T.discard });
    button.addEventListener("click", function () { confirmDiscard(v); });
    return button;
  }

  /* Asked in a dialog that names the OPD and the date; Escape or "keep" keeps it. */
  function confirmDiscard(v) {
    var opd = boot.opds.find(function (o) { return o.id === v.opd_id; }) || { name: "?" };
    var dialog = el("dialog", { class: "confirm", id: "discard-dialog", "aria-labelledby": "discard-title" }, [
      el("h2", { id: "discard-title", text: fmt(T.discardAsk, { opd: opd.name, date: window.Format.shortDate(v.visit_date) }) }),
      el("p", { text: T.discardWarn }),
      el("form", { method: "dialog", class: "nav-buttons" }, [
        el("button", { value: "keep", class: "button", text: T.keepDraft, autofocus: "autofocus" }),
        el("button", { value: "discard", class: "button danger", id: "discard-confirm", text: T.discard })])]);
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (dialog.returnValue === "discard") discardDraft(v.uuid);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  }

  /* Only a draft goes (never the outbox or a sent visit); its photos only if no other visit uses them. */
  function discardDraft(uuid) {
    return local.get("visits", uuid).then(function (v) {
      if (!v || v.owner !== user.id || v.state !== "draft") throw new Error("not a draft");
      return local.del("visits", uuid).then(function () { return local.all("visits"); }).then(function (rest) {
        var used = {};
        rest.forEach(function (o) { (o.photos || []).forEach(function (p) { used[p.sha256] = true; }); });
        return Promise.all(v.photos.filter(function (p) { return !used[p.sha256]; })
          .map(function (p) { return local.del("photos", p.sha256); }));
      });
    }).then(function () {
      if (window.BroadcastChannel) new BroadcastChannel("survey-visits").postMessage(uuid);
      status(T.discarded);
    }, function () { status(T.notEditable); }).then(route);
  }

  /* A returned visit's photos, from the server into this tablet's store; how many could not be. */
  function fetchPhotos(photos) {
    var wanted = photos.map(function (p) { return p.sha256; })
      .filter(function (sha, i, all) { return all.indexOf(sha) === i; });
    return Promise.all(wanted.map(function (sha) {
      return local.get("photos", sha).then(function (have) {
        if (have) return 0;
        return fetch("/visits/photo/" + sha, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
          if (!r.ok) throw new Error("photo");
          return r.blob();
        }).then(function (blob) {
          return sha256(blob).then(function (got) {
            if (got !== sha) throw new Error("damaged");
            return local.put("photos", { sha256: sha, blob: blob, owner: user.id });
          });
        }).then(function () { return 0; }, function () { return 1; });
      });
    })).then(function (misses) { return misses.reduce(function (a, b) { return a + b; }, 0); });
  }

  /* "09:12" today, "2 Des 2026 09:12" on another day. */
  function sentWhen(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var day = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
    var time = String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
    return day === localDate() ? time : window.Format.shortDate(day) + " " + time;
  }

  /* Only a visit the server confirmed counts as sent: a sync that sent nothing leaves it. */
  function noteSent() {
    return local.put("meta", { key: "lastSent:" + user.id, value: new Date().toISOString() });
  }

  /* --- connection and language --------------------------------------------- */

  /* Online or offline, from the browser's events and from every request's fate. */
  function watchConnection() {
    var plain = window.fetch;
    window.fetch = function () {
      return plain.apply(window, arguments).then(function (r) { showConnection(true); return r; },
        function (e) { showConnection(false); throw e; });
    };
    window.addEventListener("online", function () { showConnection(true); });
    window.addEventListener("offline", function () { showConnection(false); });
    showConnection(navigator.onLine);
  }

  function showConnection(up) {
    var box = document.getElementById("net-state"), state = up ? "online" : "offline";
    if (box.dataset.state === state) return;
    box.dataset.state = state;
    box.querySelector(".net-text").textContent = up ? T.online : T.offline;
  }

  /* The shell the last choice asked for: each language's shell is cached, so this works offline. */
  function followLanguage() {
    var chosen = localStorage.getItem("survey-lang");
    if (!chosen || chosen === LANG || LANGS.indexOf(chosen) < 0) return false;
    location.replace("/field/" + chosen + "/" + location.hash);
    return true;
  }

  function switchLanguage(e) {
    var lang = e.currentTarget.dataset.lang;
    localStorage.setItem("survey-lang", lang);
    tellServerLanguage(lang).then(function () { location.replace("/field/" + lang + "/" + location.hash); });
  }

  /* The server's pages follow too; chosen offline, it is told when next online (agreeLanguage). */
  function tellServerLanguage(lang) {
    localStorage.setItem("survey-lang-pending", "1");
    return fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("offline");
      return r.json();
    }).then(function (session) {
      var body = new FormData();
      body.append("csrf_token", session.csrf_token);
      body.append("lang", lang);
      body.append("next", "/field/");
      return fetch("/language", { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
    }).then(function () { localStorage.removeItem("survey-lang-pending"); }).catch(function () {});
  }

  /* Online at start: a choice made offline goes to the server; else the server's choice
     (made on its own pages) is followed. */
  function agreeLanguage(serverLang) {
    if (!serverLang || serverLang === LANG) return;
    if (localStorage.getItem("survey-lang-pending")) { tellServerLanguage(LANG); return; }
    localStorage.setItem("survey-lang", serverLang);
    followLanguage();
  }

  /* --- start --------------------------------------------------------------- */

  function showStart(assignmentId) {
    var plan = (boot.assignments || []).find(function (a) { return a.id === assignmentId; });
    var form = el("form", { class: "card", id: "start-form" });
    var where = whereChooser(plan ? plan.opd_id : null, plan ? plan.service_id : null);
    var boxes = el("fieldset", {}, [el("legend", { text: T.instruments })]);
    boot.instruments.forEach(function (i) {
      boxes.appendChild(el("label", { class: "choice" }, [
        el("input", plan && plan.instruments.indexOf(i.id) < 0
          ? { type: "checkbox", name: "instruments", value: i.id + ":" + i.version }
          : { type: "checkbox", name: "instruments", value: i.id + ":" + i.version, checked: "checked" }),
        el("span", { text: (i.titles && i.titles[LANG]) || i.title })]));
    });
    var date = el("input", { type: "date", id: "visit_date", value: localDate() });
    var error = el("p", { class: "field-error", role: "alert" });
    form.append(el("h1", { text: T.startVisit }));
    form.append.apply(form, where.nodes);
    form.append(boxes,
                el("label", { for: "visit_date", text: T.visitDate }), date, error,
                el("button", { type: "submit", class: "button primary wide", text: T.begin }));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var chosen = Array.prototype.filter.call(form.querySelectorAll("input[name=instruments]"),
        function (b) { return b.checked; }).map(function (b) {
          var p = b.value.split(":"); return { id: p[0], version: Number(p[1]) };
        });
      error.textContent = "";
      if (!where.check(null)) return;
      if (!chosen.length) { error.textContent = T.chooseInstrument; return; }
      var visit = { uuid: crypto.randomUUID(), owner: user.id, state: "draft", opd_id: where.opdId(),
                    service_id: where.serviceId(), visit_date: date.value, instruments: chosen,
                    answers: {}, photos: [], created: new Date().toISOString(), updated: new Date().toISOString(),
                    assignment_id: plan && where.opdId() === plan.opd_id ? plan.id : null };
      local.put("visits", visit).then(function () { location.hash = "#/visit/" + visit.uuid + "/0"; });
    });
    root.replaceChildren(form);
  }

  /* The OPD and service selects, each behind a "Choose…" placeholder: never a default.
     An assignment (the supervisor's explicit choice) may preselect both. */
  function whereChooser(opdId, serviceId) {
    var opd = el("select", { id: "opd" }, [el("option", { value: "", text: T.chooseOpd })]);
    var svc = el("select", { id: "service" });
    boot.opds.forEach(function (o) { opd.appendChild(el("option", { value: o.id, text: o.name })); });
    function fillServices() {
      svc.replaceChildren(el("option", { value: "", text: T.chooseService }));
      boot.services.filter(function (s) { return s.opd_id === Number(opd.value); })
        .forEach(function (s) { svc.appendChild(el("option", { value: s.id, text: s.name })); });
    }
    opd.addEventListener("change", fillServices);
    opd.value = opdId ? String(opdId) : "";
    fillServices();
    svc.value = serviceId ? String(serviceId) : "";
    var error = el("p", { class: "field-error", role: "alert", id: "where-error" });
    /* Why this choice may not be made, as the start form says it; `fromOpd` is exempt
       (the visit's own OPD: the server re-checks it leaving this visit out). */
    function problem(fromOpd) {
      if (!opd.value) return [T.needOpd, opd];
      if (!svc.value) return [T.needService, svc];
      if (Number(opd.value) === fromOpd) return null;
      if (Number(opd.value) === user.opd_id) return [T.ownOpd, opd];
      var refusal = (boot.refusals || {})[opd.value];
      return refusal ? [refusal, opd] : null;
    }
    return {
      nodes: [el("label", { for: "opd", text: T.opd }), opd, el("label", { for: "service", text: T.service }), svc, error],
      opdId: function () { return Number(opd.value); },
      serviceId: function () { return Number(svc.value); },
      /* True when the choice may be made; else the reason is shown beside it, the field focused. */
      check: function (fromOpd) {
        var found = problem(fromOpd);
        error.textContent = found ? found[0] : "";
        if (found) found[1].focus();
        return !found;
      }
    };
  }

  function editable(v) { return v.state === "draft" || v.state === "attention"; }

  /* Change a draft's OPD and service (a returned one is a draft again on the tablet), confirmed. */
  function showWhere(uuid, back) {
    loadVisit(uuid).then(function (pair) {
      var v = pair[0], frags = pair[1], backTo = back === "review" ? "#/review/" + uuid : "#/visit/" + uuid + "/" + back;
      if (!editable(v)) { location.hash = "#/review/" + uuid; return; }
      var where = whereChooser(v.opd_id, v.service_id);
      var form = el("form", { class: "card", id: "where-form" });
      var ask = el("div", { class: "confirm-change", role: "alert", tabindex: "-1", hidden: "hidden" });
      var submit = el("button", { type: "submit", class: "button primary wide", text: T.change });
      form.append(el("h1", { text: T.changeWhere }), el("p", { text: T.changeWhereNote }));
      form.append.apply(form, where.nodes);
      form.append(ask, submit);
      form.addEventListener("change", function () { ask.hidden = true; submit.hidden = false; });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (!where.check(v.opd_id)) return;
        var svc = boot.services.find(function (s) { return s.id === where.serviceId(); });
        var opd = boot.opds.find(function (o) { return o.id === where.opdId(); });
        var yes = el("button", { type: "button", class: "button primary", text: T.yesChange });
        yes.addEventListener("click", function () {
          update(uuid, function (fresh) {
            fresh.opd_id = opd.id; fresh.service_id = svc.id;
            var plan = (boot.assignments || []).find(function (a) { return a.id === fresh.assignment_id; });
            if (plan && plan.opd_id !== opd.id) fresh.assignment_id = null;  // as the start form links it
          }).then(function () { location.hash = backTo; }, function () { status(T.notEditable); });
        });
        ask.replaceChildren(el("p", { text: fmt(T.confirmWhere, { opd: opd.name, service: svc.name,
          max: Format.minutes(svc.max_minutes), fee: Format.rupiah(svc.fee) }) }), yes,
          el("a", { class: "button", href: backTo, text: T.cancel }));
        ask.hidden = false; submit.hidden = true;
        ask.focus();
      });
      root.replaceChildren(visitHeader(v, frags, back), form);
    }).catch(function () {});
  }

  /* --- the visit header and the send sheet --------------------------------- */

  function opdOf(v) { return boot.opds.find(function (o) { return o.id === v.opd_id; }) || { name: "?" }; }
  function serviceOf(v) { return boot.services.find(function (s) { return s.id === v.service_id; }) || { name: "?" }; }

  /* Each role's answer across the visit's instruments, skip logic applied. */
  function visitRoles(v, frags) {
    var out = {};
    eachItem(v, frags, function (item, kept) {
      if (item.role && window.Relevant.isAnswered(kept[item.id])) out[item.role] = kept[item.id];
    });
    return out;
  }

  /* The header on every screen of a visit (markup: field/_visit_header.html in the shell). */
  function visitHeader(v, frags, back) {
    var box = document.getElementById("visit-header").content.firstElementChild.cloneNode(true);
    var svc = serviceOf(v);
    function fill(name, text) { box.querySelector("[data-fill=" + name + "]").textContent = text; }
    fill("opd", opdOf(v).name); fill("service", svc.name); fill("date", Format.shortDate(v.visit_date));
    fill("max", Format.minutes(svc.max_minutes)); fill("tariff", Format.rupiah(svc.fee));
    var change = box.querySelector("[data-fill=change]");
    if (editable(v)) change.setAttribute("href", "#/where/" + v.uuid + "/" + back); else change.remove();
    box.dataset.max = svc.max_minutes || ""; box.dataset.date = v.visit_date; box.dataset.fee = svc.fee === null ? "" : svc.fee;
    core.headerTimes(box, visitRoles(v, frags));
    return box;
  }

  function longDate(iso) {
    // "28 November 2026" in the page's language; the ISO date if the browser cannot format it
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "id-ID",
        { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(iso + "T00:00:00Z"));
    } catch (e) { return iso; }
  }

  function localDate() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  /* --- filling a visit ----------------------------------------------------- */

  function loadVisit(uuid) {
    return local.get("visits", uuid).then(function (v) {
      if (!v || v.owner !== user.id) { location.hash = "#/list"; throw new Error("not found"); }
      return Promise.all(v.instruments.map(keptFragment)).then(function (frags) { return [v, frags]; });
    });
  }

  /* A visit's form in this language; a draft begun before fragments were kept per
     language finds its form under the old key (id:version), in the language it had. */
  function keptFragment(inst) {
    return local.get("fragments", fragmentKey(inst)).then(function (have) {
      return have || local.get("fragments", inst.id + ":" + inst.version);
    });
  }

  function showVisit(uuid, n, itemId) {
    loadVisit(uuid).then(function (pair) {
      var v = pair[0], frags = pair[1];
      if (frags.some(function (f) { return !f; })) { root.replaceChildren(el("p", { class: "flash error", text: T.needOnline })); return; }
      var form = el("form", { id: "section-form", class: "section-form", novalidate: "novalidate" });
      frags.forEach(function (f) { form.insertAdjacentHTML("beforeend", f.html); });
      var screens = Array.prototype.slice.call(form.querySelectorAll("section.screen"));
      n = Math.max(0, Math.min(n, screens.length - 1));
      screens[n].hidden = false;
      var instId = screens[n].closest(".fragment").dataset.instrument;
      var items = Array.prototype.slice.call(screens[n].querySelectorAll(".item[data-item]"));
      var saved = el("p", { class: "saved", role: "status" });
      var stored = v.answers[instId] || {};
      items.forEach(function (item) { if (item.dataset.item in stored) core.setFieldValue(item, stored[item.dataset.item]); });
      var notes = (v.notes || {})[instId] || {};
      items.forEach(function (item) {
        var note = item.querySelector("[data-note]");
        if (note) note.value = notes[item.dataset.item] || "";
      });
      renderPhotos(screens[n], v);
      var progress = el("nav", { class: "progress" }, [
        el("p", { class: "progress-text", text: fmt(T.section, { n: n + 1, total: screens.length }) }),
        el("progress", { value: String(n + 1), max: String(screens.length + 1) })]);
      var nav = el("div", { class: "nav-buttons" });
      if (n > 0) nav.appendChild(el("a", { class: "button", href: "#/visit/" + uuid + "/" + (n - 1), text: T.previous }));
      nav.appendChild(n + 1 < screens.length
        ? el("a", { class: "button primary", href: "#/visit/" + uuid + "/" + (n + 1), text: T.next })
        : el("a", { class: "button primary", href: "#/review/" + uuid, text: T.reviewSubmit }));
      if (v.reason) form.prepend(el("p", { class: "note reason", text: v.reason }));
      form.prepend(progress);
      var header = visitHeader(v, frags, String(n)), known = visitRoles(v, frags);
      form.prepend(header);
      form.append(saved, nav);
      function refresh() {
        var answers = core.applyRelevance(items, stored, trees);
        core.headerTimes(header, core.showTiming(screens[n].querySelector(".timing"), items, answers, known));
        core.markFailing(items);
        return answers;
      }
      form.addEventListener("input", function (e) { if (e.target.matches("[data-note]")) save(); });
      form.addEventListener("change", function (e) {
        if (e.target.type === "file") return addPhoto(e.target, v);
        save();
      });
      /* The screen's answers and details, merged into the visit kept on the tablet. */
      function save() {
        var current = {}, details = core.notesOf(items);
        items.forEach(function (item) {
          var value = item.hidden ? null : core.fieldValue(item);
          if (value !== null) current[item.dataset.item] = value;
        });
        refresh();
        update(v.uuid, function (fresh) {
          var merged = Object.assign({}, fresh.answers[instId] || {});
          items.forEach(function (item) { delete merged[item.dataset.item]; });
          fresh.answers[instId] = Object.assign(merged, current);
          fresh.notes = fresh.notes || {};
          fresh.notes[instId] = Object.assign({}, fresh.notes[instId] || {}, details);
          v.answers = fresh.answers; v.notes = fresh.notes;
        }).then(function () { saved.textContent = T.savedLocal; },
                function () { saved.textContent = T.notEditable; });
      }
      form.addEventListener("click", function (e) { photoClick(e, form, v); });
      root.replaceChildren(form);
      refresh();
      draftNarrative(v, frags, items, instId);
      focusItem(screens[n], itemId);
    }).catch(function () {});
  }

  /* A missing-item link lands on the field itself, focused; other screens open at the top. */
  function focusItem(screen, itemId) {
    var item = itemId && screen.querySelector(".item[data-item='" + CSS.escape(itemId) + "']");
    var input = item && item.querySelector("input:not([type=file]), textarea, select");
    if (!input) { window.scrollTo(0, 0); return; }
    item.classList.add("linked");
    item.scrollIntoView({ block: "center" });
    input.focus({ preventScroll: true });
  }

  /* The narrative, while empty or still exactly the last draft, drafted from the
     details of the failing answers; what the evaluator typed is never replaced. */
  function draftNarrative(v, frags, items, instId) {
    var item = items.find(function (i) { return i.dataset.role === "narrative"; });
    if (!item) return;
    var field = item.querySelector("textarea:not([data-note])");
    var current = ((v.answers[instId] || {})[item.dataset.item] || "");
    if (current && current !== v.narrative_draft) return;
    var draft = core.narrativeDraft(failingRows(v, frags));
    if (!draft || draft === current) return;
    field.value = draft;
    update(v.uuid, function (fresh) {
      fresh.answers[instId] = Object.assign({}, fresh.answers[instId] || {});
      fresh.answers[instId][item.dataset.item] = draft;
      fresh.narrative_draft = draft;
      v.answers = fresh.answers; v.narrative_draft = draft;
    }).catch(function () {});
  }

  /* {label, detail} of every failing answer of the visit, in the order asked. */
  function failingRows(v, frags) {
    return failedItems(v, frags).map(function (f) {
      return { label: f.label, detail: ((v.notes || {})[f.inst] || {})[f.id] };
    });
  }

  /* --- photos: downscaled, hashed, kept locally until the server confirms -- */

  function photoClick(e, form, v) {
    core.dropUndo(form, e.target);
    var stamp = e.target.closest("[data-stamp]");
    if (stamp) core.stampNow(form.querySelector("#" + CSS.escape(stamp.dataset.stamp)));
    var pick = e.target.closest("[data-photo-pick]");
    if (pick) core.pickPhoto(pick);
    var del = e.target.closest("[data-delete-photo]");
    if (del) removePhoto(del, v);
  }

  function photoKey(p) { return p.item_id ? p.instrument_id + "__" + p.item_id : ""; }

  function renderPhotos(container, v) {
    return Promise.all(Array.prototype.map.call(container.querySelectorAll(".photos"), function (box) {
      var list = box.querySelector(".thumbs");
      var mineHere = v.photos.filter(function (p) { return photoKey(p) === box.dataset.photoKey; });
      return Promise.all(mineHere.map(function (p) { return local.get("photos", p.sha256); })).then(function (recs) {
        list.replaceChildren();
        recs.forEach(function (rec, k) {
          if (!rec) return;
          list.appendChild(el("li", { "data-sha": mineHere[k].sha256 }, [
            el("img", { src: URL.createObjectURL(rec.blob), alt: T.photo }),
            el("button", { type: "button", class: "button danger small", "data-delete-photo": mineHere[k].sha256, text: T.delete })]));
        });
      });
    }));
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
      .then(function (hash) {
        return Array.prototype.map.call(new Uint8Array(hash), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      });
  }

  function addPhoto(input, v) {
    if (!input.files.length) return;
    var box = input.closest(".photos"), note = box.querySelector(".photo-status");
    var key = box.dataset.photoKey.split("__");
    note.textContent = T.photoWorking;
    core.downscale(input.files[0]).then(function (blob) {
      return sha256(blob).then(function (sha) {
        return local.put("photos", { sha256: sha, blob: blob, owner: user.id }).then(function () { return sha; });
      });
    }).then(function (sha) {
      var entry = { sha256: sha, instrument_id: key.length > 1 ? key[0] : "", item_id: key.length > 1 ? key[1] : "",
                    captured_at: new Date().toISOString() };
      return update(v.uuid, function (fresh) {
        if (!fresh.photos.some(function (p) { return p.sha256 === sha && photoKey(p) === photoKey(entry); })) {
          fresh.photos.push(entry);
        }
        v.photos = fresh.photos;
      });
    }).then(function () {
      return renderPhotos(box.parentNode, v);
    }).then(function () {
      core.photoStatus(box, T.photoKept, T.photoCount);
    }).catch(function () { note.textContent = T.photoFailed; })
      .then(function () { input.value = ""; });
  }

  /* Delete at once, with an undo: the bytes stay on the tablet, so "Undo" only
     puts the photo's entry back into the visit. */
  function removePhoto(button, v) {
    var box = button.closest(".photos"), key = box.dataset.photoKey, removed = [];
    update(v.uuid, function (fresh) {
      fresh.photos = fresh.photos.filter(function (p) {
        var gone = p.sha256 === button.dataset.deletePhoto && photoKey(p) === key;
        if (gone) removed.push(p);
        return !gone;
      });
      v.photos = fresh.photos;
    }).then(function () {
      button.closest("li").remove();
      core.photoStatus(box, T.photoDeleted, T.photoCount, { label: T.undo, run: function () {
        update(v.uuid, function (fresh) {
          fresh.photos = fresh.photos.concat(removed);
          v.photos = fresh.photos;
        }).then(function () { return renderPhotos(box.parentNode, v); })
          .then(function () { core.photoStatus(box, T.photoRestored, T.photoCount); });
      } });
    });
  }

  /* --- review and submit --------------------------------------------------- */

  function keptAnswers(definition, given) {
    var kept = {};
    definition.sections.forEach(function (s) {
      s.items.forEach(function (item) {
        if (!(item.id in given)) return;
        if (!item.relevant || window.Relevant.evaluate(trees[item.relevant] = trees[item.relevant] ||
            window.Relevant.parse(item.relevant), kept)) kept[item.id] = given[item.id];
      });
    });
    return kept;
  }

  function label(item) { return item.label[document.documentElement.lang] || item.label.id; }

  /* Shown, required and unanswered items: the same rule as forms.missing_required. */
  function missing(v, frags) {
    var out = [];
    eachItem(v, frags, function (item, kept, inst, screenNo) {
      if (!item.required) return;
      if (item.relevant && !window.Relevant.evaluate(window.Relevant.parse(item.relevant), kept)) return;
      var done = item.type === "photo"
        ? v.photos.some(function (p) { return p.instrument_id === inst.id && p.item_id === item.id; })
        : window.Relevant.isAnswered(kept[item.id]);
      if (!done) out.push({ n: screenNo, id: item.id, label: label(item) });
    });
    return out;
  }

  /* Every item of the visit's instruments in the order asked, with its instrument's
     answers that count (shown items only) and the number of the screen it is on. */
  function eachItem(v, frags, visit) {
    var screenNo = 0;
    frags.forEach(function (f, k) {
      var inst = v.instruments[k], kept = keptAnswers(f.definition, v.answers[inst.id] || {});
      f.definition.sections.forEach(function (s) {
        s.items.forEach(function (item) { visit(item, kept, inst, screenNo); });
        screenNo++;
      });
    });
  }

  function showReview(uuid) {
    loadVisit(uuid).then(function (pair) {
      var v = pair[0], frags = pair[1], page = el("section", { class: "card send-sheet" });
      page.appendChild(el("h1", { text: T.reviewSubmit }));
      if (v.reason) page.appendChild(el("p", { class: "note reason", text: v.reason }));
      var refused = el("p", { class: "send-alert", role: "alert", tabindex: "-1", id: "send-alert", hidden: "hidden" });
      page.append(refused, sendSummary(v, frags));
      var gaps = missing(v, frags);
      if (editable(v) && gaps.length) {
        var ul = el("ul", { class: "missing" });
        gaps.forEach(function (g) {
          ul.appendChild(el("li", {}, [el("a", { href: "#/visit/" + uuid + "/" + g.n + "/" + encodeURIComponent(g.id), text: g.label })]));
        });
        page.append(el("h2", { text: T.missing + " " }, [el("span", { class: "count", text: String(gaps.length) })]), ul);
      } else if (editable(v)) {
        page.appendChild(el("p", { class: "ok", text: T.allAnswered }));
      } else {
        page.appendChild(el("p", { text: v.state === "outbox" ? T.inOutbox : T.sentOk }));
      }
      if (editable(v)) {
        var photoBox = el("div", { class: "item visit-photos" }, [el("p", { class: "label", text: T.visitPhotos })]);
        photoBox.insertAdjacentHTML("beforeend", document.getElementById("photo-box").innerHTML);
        photoBox.addEventListener("change", function (e) { if (e.target.type === "file") addPhoto(e.target, v); });
        photoBox.addEventListener("click", function (e) { photoClick(e, photoBox, v); });
        page.appendChild(photoBox);
        renderPhotos(photoBox, v);
        var submit = el("button", { type: "button", class: "button primary wide", id: "submit-visit", text: T.submit });
        submit.addEventListener("click", function () {
          var left = 0;
          update(v.uuid, function (fresh) {
            left = missing(fresh, frags).length;
            if (left) throw new Error("missing");
            fresh.state = "outbox"; fresh.reason = "";
          }).then(function () { location.hash = "#/list"; sync(false); }, function () {
            if (!left) { route(); return; }
            refused.textContent = fmt(T.notSent, { n: left });  // never silence: say why nothing left
            refused.hidden = false;
            refused.focus();
          });
        });
        page.appendChild(submit);
      }
      root.replaceChildren(visitHeader(v, frags, "review"), page);
    }).catch(function () {});
  }

  /* The visit read like the sheet: where and when, times and fee against the
     standard, the items not met (FormCore.failing), the photos. */
  function sendSummary(v, frags) {
    var svc = serviceOf(v), roles = visitRoles(v, frags), m = core.minutes;
    var total = m(roles.arrival, roles.service_end), max = svc.max_minutes;
    var overTime = total !== null && max !== null && max !== undefined && total > max;
    var asked = roles.fee_asked, overFee = asked !== undefined && svc.fee !== null && Number(asked) > svc.fee;
    function flag(on, text) { return on ? el("span", { class: "flag", text: "\u2716 " + text }) : null; }
    var rows = [[T.opd, opdOf(v).name], [T.service, svc.name], [T.visitDate, longDate(v.visit_date)],
      [T.waitingTime, Format.minutes(m(roles.arrival, roles.service_start))],
      [T.serviceTime, Format.minutes(m(roles.service_start, roles.service_end))],
      [T.totalTime, Format.minutes(total) + " · " + T.publishedMax + " " + Format.minutes(max), flag(overTime, T.pastMax)],
      [T.feeAsked, Format.rupiah(asked) + " · " + T.tariff + " " + Format.rupiah(svc.fee), flag(overFee, T.aboveTariff)]];
    var dl = el("dl", { class: "summary sheet" });
    rows.forEach(function (r) { dl.append(el("dt", { text: r[0] }), el("dd", { text: r[1] + " " }, [r[2]])); });
    var failed = failedItems(v, frags), list = el("ul", { class: "failed" });
    failed.forEach(function (f) {
      list.appendChild(el("li", {}, [editable(v)
        ? el("a", { href: "#/visit/" + v.uuid + "/" + f.n + "/" + encodeURIComponent(f.id), text: f.label })
        : el("span", { text: f.label })]));
    });
    var strip = el("div", { class: "thumbs photo-strip" });
    v.photos.forEach(function (p) {
      local.get("photos", p.sha256).then(function (rec) {
        if (rec) strip.appendChild(el("img", { src: URL.createObjectURL(rec.blob), alt: T.photo }));
      });
    });
    return el("div", { class: "sheet-body" }, [el("h2", { text: T.visitSheet }), dl,
      el("h2", { text: T.itemsNotMet + " " }, [el("span", { class: "count", text: String(failed.length) })]),
      failed.length ? list : el("p", { class: "muted", text: T.noneYet }),
      el("h2", { text: T.photos + " " }, [el("span", { class: "count", text: String(v.photos.length) })]),
      v.photos.length ? strip : el("p", { class: "muted", text: T.noPhotos })]);
  }

  /* Shown items whose answer fails them, by the instrument's own definition. */
  function failedItems(v, frags) {
    var out = [];
    eachItem(v, frags, function (item, kept, inst, screenNo) {
      if (core.failing(item, kept[item.id])) out.push({ n: screenNo, inst: inst.id, id: item.id, label: label(item) });
    });
    return out;
  }

  /* --- sync: exactly once, per record, with backoff ------------------------ */

  function sync(manual) {
    if (syncing || !user) return Promise.resolve();
    if (navigator.locks) return navigator.locks.request("survey-sync", { ifAvailable: true }, function (lock) {
      return lock ? runSync(manual) : null;
    });
    return runSync(manual);
  }

  /* A failed request to retry, with the server's Retry-After in seconds when it gave one. */
  function retryLater(r) {
    var after = parseInt(r.headers.get("Retry-After") || "", 10);
    return { retry: true, after: after > 0 ? Math.min(after, 3600) : 0 };
  }

  function runSync(manual) {
    syncing = true;
    clearTimeout(retryTimer);
    if (manual) status(T.sending);
    return fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) throw { login: true };
      if (!r.ok) throw retryLater(r);
      return r.json();
    }).then(function (session) {
      if (session.user.id !== user.id) throw { login: true };
      return mine().then(function (list) {
        var queue = list.filter(function (v) { return v.state === "outbox"; });
        if (queue.length) status(T.sending);  /* not an earlier "no connection" while it sends */
        /* Two at a time: one visit's round trips overlap the other's uploads (benchmarks/README.md). */
        return pool(queue, 2, function (v) { return sendVisit(v, session.csrf_token); });
      });
    }).then(function () {
      retryDelay = 5000;
      status("");
    }).catch(function (problem) {
      if (problem && problem.login) { status(""); showLogin(); return; }
      status(problem && problem.after ? T.serverBusy : T.willRetry);
      /* An overloaded server says when to come back (503 Retry-After): wait at least that. */
      var wait = Math.max(retryDelay, problem && problem.after ? problem.after * 1000 : 0);
      retryTimer = setTimeout(function () { sync(false); }, wait);
      document.body.dataset.nextSync = String(Math.round(wait / 1000));  /* seconds, for tests and support */
      retryDelay = Math.min(retryDelay * 2, 300000);
    }).then(function () {
      syncing = false;
      refreshHeader();
      if (!location.hash || location.hash === "#/list" || location.hash === "#/") showList();
      if (location.hash === "#/probes") showProbes();
    });
  }

  /* Log out: unsent visits stay on the tablet for their owner (never sent under
     someone else's login); this user's session data is forgotten. */
  function logout() {
    mine().then(function (list) {
      var waiting = list.filter(function (v) { return v.state === "outbox" || v.state === "attention"; }).length;
      if (waiting && !window.confirm(fmt(T.logoutWaiting, { n: waiting }))) throw new Error("stay");
      return local.del("meta", "bootstrap");
    }).then(function () {
      return fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        return r.ok ? r.json() : null;
      });
    }).then(function (session) {
      if (!session) { location.href = "/login"; return; }
      var body = new FormData();
      body.append("csrf_token", session.csrf_token);
      return fetch("/logout", { method: "POST", body: body, credentials: "same-origin" })
        .then(function () { location.href = "/login"; });
    }).catch(function (e) {
      if (e.message !== "stay") location.href = "/login";
    });
  }

  function showLogin() {
    var box = document.getElementById("login-again");
    box.hidden = false;
  }

  /* --- photo uploads: in parts, two at a time, resumed after a cut --------- */

  /* A part is what a cut can cost again. Measured at 400 kbit/s, 300 ms (benchmarks/README.md):
     32 KB parts cost 3 % against 64 KB ones, 16 KB ones 13 % (headers and round trips). */
  var PART = 32 * 1024, AT_ONCE = 2;

  /* Send the photos the server lacks (its missing_photos list), showing the visit's progress. */
  function sendPhotos(v, csrf, missing) {
    var wanted = missing.filter(function (sha, i) { return missing.indexOf(sha) === i; });
    return Promise.all(wanted.map(function (sha) { return local.get("photos", sha); })).then(function (recs) {
      if (recs.some(function (rec) { return !rec; })) throw { attention: T.photoLost };
      var run = { uuid: v.uuid, count: recs.length, started: 0, held: {}, failed: false,
                  bytes: recs.reduce(function (n, rec) { return n + rec.blob.size; }, 0) };
      return settle(recs.map(function (rec) {
        return inSlot(function () {
          if (run.failed) throw { retry: true };
          run.started += 1;
          showProgress(run);
          return uploadPhoto(rec.sha256, rec.blob, csrf, run);
        });
      })).then(function () { showProgress(null, v.uuid); });
    });
  }

  /* At most AT_ONCE uploads at a time, over all the visits being sent. */
  var uploading = 0, waitingUploads = [];
  function inSlot(task) {
    return new Promise(function (resolve) {
      if (uploading < AT_ONCE) { uploading += 1; resolve(); } else waitingUploads.push(resolve);
    }).then(task).then(function (value) { freeSlot(); return value; }, function (e) { freeSlot(); throw e; });
  }
  function freeSlot() {
    var next = waitingUploads.shift();
    if (next) next(); else uploading -= 1;
  }

  /* Like Promise.all, but fails only once every promise has settled (none left running). */
  function settle(promises) {
    var failure = null;
    return Promise.all(promises.map(function (p) {
      return p.catch(function (e) { failure = failure || { error: e }; });
    })).then(function () { if (failure) throw failure.error; });
  }

  /* Run task over items, at most size at once; after a failure no new one starts. */
  function pool(items, size, task) {
    var next = 0, failure = null;
    function worker() {
      if (failure || next >= items.length) return Promise.resolve();
      return task(items[next++]).then(worker, function (e) { failure = failure || { error: e }; });
    }
    var workers = [];
    for (var k = 0; k < Math.min(size, items.length); k++) workers.push(worker());
    return Promise.all(workers).then(function () { if (failure) throw failure.error; });
  }

  /* One photo, from the bytes the server holds: asked only for a photo cut before. */
  function uploadPhoto(sha, blob, csrf, run) {
    var mark = "upload:" + sha;
    return local.get("meta", mark).then(function (cut) { return cut ? heldOf(sha, blob) : 0; })
      .then(function (from) {
        run.held[sha] = from;
        return sendParts(sha, blob, from, csrf, run, mark);
      }).then(function () { return local.del("meta", mark); });
  }

  function heldOf(sha, blob) {
    return fetch("/api/v1/photos/" + sha, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) throw { login: true };
      if (r.status >= 500) throw retryLater(r);
      return r.ok ? blob.size : r.json().then(function (j) { return j.held || 0; });
    });
  }

  function sendParts(sha, blob, start, csrf, run, mark) {
    if (start >= blob.size) return Promise.resolve();
    if (run.failed) return Promise.reject({ retry: true });
    var end = Math.min(start + PART, blob.size);
    return fetch("/api/v1/photos/" + sha, { method: "PUT", body: blob.slice(start, end), credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": blob.type || "image/jpeg",
                 "Content-Range": "bytes " + start + "-" + (end - 1) + "/" + blob.size } }).then(function (r) {
      if (r.status === 401) throw { login: true };
      if (r.status >= 500) throw retryLater(r);
      return r.json().then(function (j) {
        if (r.status === 202 || r.status === 416) {
          run.held[sha] = j.held;
          showProgress(run);
          /* From now on a cut leaves a partial on the server: remember to ask where it stands. */
          var marked = start === 0 && r.status === 202 ? local.put("meta", { key: mark, value: true }) : null;
          return Promise.resolve(marked).then(function () { return sendParts(sha, blob, j.held, csrf, run, mark); });
        }
        if (r.ok) { run.held[sha] = blob.size; showProgress(run); return; }
        throw j.error === "hash_mismatch" ? { retry: true } : { attention: j.message };
      });
    }).catch(function (problem) { run.failed = true; throw problem; });
  }

  /* "Sending photo 2 of 3 · 45 %" on the visit's row in the list, when it is shown. */
  function showProgress(run, uuid) {
    var box = document.querySelector('.progress[data-uuid="' + (run ? run.uuid : uuid) + '"]');
    if (!box) return;
    var sent = run ? Object.keys(run.held).reduce(function (n, sha) { return n + run.held[sha]; }, 0) : 0;
    var pct = run && run.bytes ? Math.min(100, Math.floor(100 * sent / run.bytes)) : 0;
    box.textContent = run ? fmt(T.sendingPhotos, { n: run.started, total: run.count, pct: Format.number(pct, 0) + " %" }) : "";
  }

  function payload(v) {
    return { uuid: v.uuid, opd_id: v.opd_id, service_id: v.service_id, visit_date: v.visit_date,
             instruments: v.instruments, answers: v.answers, notes: v.notes || {}, revision: v.revision || 1,
             assignment_id: v.assignment_id || null,
             photos: v.photos.map(function (p) { return { sha256: p.sha256, instrument_id: p.instrument_id,
               item_id: p.item_id, captured_at: p.captured_at }; }) };
  }

  /* A visit to /visits, a probe to /checks: the same contract, the same outbox. */
  function postVisit(v, csrf) {
    var probe = v.kind === "probe";
    return fetch(probe ? "/api/v1/checks" : "/api/v1/visits", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(probe ? checkPayload(v) : payload(v)) });
  }

  /* The visit first: the server answers which photos it lacks, so none is asked after one by one. */
  function sendVisit(v, csrf) {
    return postVisit(v, csrf).then(function (r) {
      if (r.status === 409) return r.json().then(function (j) {
        if (j.error !== "missing_photos") return [r, j];
        return sendPhotos(v, csrf, j.missing).then(function () { return postVisit(v, csrf); })
          .then(function (r2) { return r2.json().then(function (j2) { return [r2, j2]; }); });
      });
      return r.json().then(function (j) { return [r, j]; });
    }).then(function (res) {
      var r = res[0], body = res[1];
      if (r.status === 401) throw { login: true };
      if (r.status >= 500) throw retryLater(r);
      if (r.ok && body.stored) return confirmSent(v);
      return markAttention(v, body.message || T.refused);
    }).catch(function (problem) {
      if (problem && problem.attention) return markAttention(v, problem.attention);
      throw problem && (problem.login || problem.retry) ? problem : { retry: true };
    });
  }

  /* The server holds the visit and every photo: only now may the tablet let go. */
  function confirmSent(v) {
    v.state = "sent"; v.reason = ""; v.sent = new Date().toISOString();
    return local.put("visits", v).then(noteSent).then(mine).then(function (list) {
      var stillNeeded = {};
      list.filter(function (o) { return o.state !== "sent"; }).forEach(function (o) {
        o.photos.forEach(function (p) { stillNeeded[p.sha256] = true; });
      });
      return Promise.all(v.photos.filter(function (p) { return !stillNeeded[p.sha256]; })
        .map(function (p) { return local.del("photos", p.sha256); }));
    });
  }

  function markAttention(v, reason) {
    v.state = "attention"; v.reason = reason;
    return local.put("visits", v);
  }

  /* --- channel probes ("Uji saluran"): kept, sent and confirmed like visits --- */

  /* A probe lives in the same store and outbox as a visit (kind "probe"), so it is
     sent by the same machinery, exactly once, its photos confirmed by hash first. */
  function isVisit(v) { return v.kind !== "probe"; }
  function probeBoot() {
    var p = (boot && boot.probes) || {};
    return { instruments: p.instruments || [], channels: p.channels || [], plans: p.plans || [],
             refusals: p.refusals || {}, deadline_days: p.deadline_days || 3, holidays: p.holidays || [] };
  }
  function daysOff() {
    var off = {};
    probeBoot().holidays.forEach(function (d) { off[d] = true; });
    return off;
  }
  function channelName(code) {
    var c = probeBoot().channels.find(function (x) { return x.code === code; });
    return c ? c.label : code || "?";
  }
  /* The planned probes not yet carried out on this tablet. */
  function probePlansOpen(list) {
    var done = {};
    list.forEach(function (v) { if (v.kind === "probe" && v.plan_id) done[v.plan_id] = true; });
    return probeBoot().plans.filter(function (p) { return !done[p.id]; });
  }
  function probeDeadline(v) {
    if (!v.sent_at) return null;
    return core.addWorkingDays(v.sent_at.slice(0, 10), probeBoot().deadline_days, daysOff());
  }
  function hhmmNow() {
    var d = new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function showProbes() {
    mine().then(function (all) {
      var list = all.filter(function (v) { return v.kind === "probe"; }).sort(newestFirst);
      var page = el("div", { id: "probes" }, [probeCrumbs(null), el("div", { class: "page-head" }, [
        el("h1", { text: T.probes }),
        el("a", { class: "button primary", href: "#/probe-new", id: "new-probe", text: T.newProbe })])]);
      var plans = probePlansOpen(all);
      if (plans.length) {
        var ul = el("ul", { class: "visit-list" });
        plans.forEach(function (p) {
          var opd = boot.opds.find(function (o) { return o.id === p.opd_id; }) || { name: "?" };
          ul.appendChild(el("li", { class: "visit assignment", "data-plan": String(p.id) }, [
            el("a", { href: "#/probe-new/" + p.id }, [
              el("strong", { text: opd.name + " · " + channelName(p.channel) }),
              el("span", { text: fmt(T.window, { from: longDate(p.window_start), to: longDate(p.window_end) }) }),
              p.question ? el("span", { class: "question", text: T.askThis + " " + p.question }) : null,
              el("span", { text: T.carryOut })])]));
        });
        page.appendChild(el("section", { class: "card assignments" }, [
          el("h2", { text: T.probePlans + " " }, [el("span", { class: "count", text: String(plans.length) })]), ul]));
      }
      [["attention", T.attention], ["draft", T.drafts], ["outbox", T.outbox], ["sent", T.sent]].forEach(function (g) {
        var items = list.filter(function (v) { return v.state === g[0]; });
        if (!items.length) return;
        var ul = el("ul", { class: "visit-list" });
        items.forEach(function (v) {
          var opd = boot.opds.find(function (o) { return o.id === v.opd_id; }) || { name: "?" };
          var li = el("li", { class: "visit probe", "data-uuid": v.uuid }, [
            el("a", { href: "#/probe/" + v.uuid }, [el("strong", { text: opd.name + " · " + channelName(v.channel) }),
              el("span", { text: v.sent_at ? window.Format.shortDate(v.sent_at.slice(0, 10)) + " " + v.sent_at.slice(11, 16) : "-" })])]);
          if (v.reason) li.appendChild(el("p", { class: "note reason", text: v.reason }));
          if (v.state === "outbox") li.appendChild(el("span", { class: "progress", "data-uuid": v.uuid, role: "status" }));
          ul.appendChild(li);
        });
        page.appendChild(el("section", { class: "card state-" + g[0] }, [
          el("h2", { text: g[1] + " " }, [el("span", { class: "count", text: String(items.length) })]), ul]));
      });
      if (!list.length && !plans.length) page.appendChild(el("p", { class: "empty", text: T.noProbes }));
      if (root.firstElementChild && root.firstElementChild.isEqualNode(page)) return;
      root.replaceChildren(page);
    });
  }

  /* "Survei Layanan › Uji saluran › Disdukcapil · WhatsApp": where the evaluator is. */
  function probeCrumbs(v) {
    var nav = el("nav", { class: "crumbs probe-crumbs", "aria-label": T.probes }, [
      el("a", { href: "#/list", text: T.myVisits }), document.createTextNode(" › "),
      v ? el("a", { href: "#/probes", text: T.probes }) : el("strong", { text: T.probes })]);
    if (v) {
      var opd = boot.opds.find(function (o) { return o.id === v.opd_id; });
      nav.append(" › ", el("strong", { text: (opd ? opd.name : T.newProbe) + (v.channel ? " · " + channelName(v.channel) : "") }));
    }
    return nav;
  }

  function newProbe(planId) {
    var plan = probeBoot().plans.find(function (p) { return p.id === planId; });
    var inst = probeBoot().instruments[0];
    if (!inst) { status(T.needOnline); location.hash = "#/probes"; return; }
    mine().then(function (all) {
      var made = plan && all.find(function (v) { return v.kind === "probe" && v.plan_id === plan.id; });
      if (made) { location.replace("#/probe/" + made.uuid); return null; }
      var v = { uuid: crypto.randomUUID(), owner: user.id, kind: "probe", state: "draft",
                opd_id: plan ? plan.opd_id : null, channel: plan ? plan.channel : null, plan_id: plan ? plan.id : null,
                question: plan ? plan.question : "", instruments: [{ id: inst.id, version: inst.version }],
                sent_at: null, answered_at: null, answers: {}, notes: {}, photos: [],
                visit_date: localDate(), created: new Date().toISOString(), updated: new Date().toISOString() };
      return local.put("visits", v).then(function () { location.replace("#/probe/" + v.uuid); });
    });
  }

  /* The answers of the probe's channel only (its section), skip logic applied. */
  function probeItems(v, frag) {
    var section = frag.definition.sections.find(function (s) { return s.channel === v.channel; });
    return section ? section.items : [];
  }
  function probeKept(v, frag) {
    var kept = {}, given = v.answers[v.instruments[0].id] || {};
    probeItems(v, frag).forEach(function (item) {
      if (!(item.id in given)) return;
      if (!item.relevant || window.Relevant.evaluate(trees[item.relevant] = trees[item.relevant] ||
          window.Relevant.parse(item.relevant), kept)) kept[item.id] = given[item.id];
    });
    return kept;
  }

  /* Why the probe cannot be sent yet, as [message, field id] pairs; none when it can. */
  function probeProblems(v, frag) {
    var out = [];
    if (!v.opd_id) out.push([T.needOpd, "probe-opd"]);
    else if (v.opd_id === user.opd_id) out.push([T.ownOpd, "probe-opd"]);
    else if (probeBoot().refusals[String(v.opd_id)]) out.push([probeBoot().refusals[String(v.opd_id)], "probe-opd"]);
    if (!v.channel) out.push([T.needChannel, "probe-channel"]);
    if (!v.sent_at) out.push([T.needSent, "probe-sent"]);
    if (v.sent_at && v.answered_at && v.answered_at < v.sent_at) out.push([T.answerBeforeSent, "probe-answered"]);
    if (v.channel && frag) {
      var kept = probeKept(v, frag);
      probeItems(v, frag).forEach(function (item) {
        if (!item.required) return;
        if (item.relevant && !window.Relevant.evaluate(window.Relevant.parse(item.relevant), kept)) return;
        if (!window.Relevant.isAnswered(kept[item.id])) out.push([label(item), "item-" + item.id]);
      });
    }
    return out;
  }

  function showProbe(uuid) {
    local.get("visits", uuid).then(function (v) {
      if (!v || v.owner !== user.id || v.kind !== "probe") { location.hash = "#/probes"; return; }
      return keptFragment(v.instruments[0]).then(function (frag) { renderProbe(v, frag); });
    }).catch(function () {});
  }

  function renderProbe(v, frag) {
    var can = editable(v), instId = v.instruments[0].id;
    var page = el("form", { class: "card probe-form", id: "probe-form", novalidate: "novalidate" });
    var head = el("header", { class: "visit-header probe-header", id: "probe-header" });
    function paintHead() {
      var opd = boot.opds.find(function (o) { return o.id === v.opd_id; });
      var last = probeDeadline(v), lines = [el("p", { class: "instrument", text: T.probeWhere }),
        el("h1", { text: (opd ? opd.name : T.chooseOpd) + " · " + (v.channel ? channelName(v.channel) : T.chooseChannel) })];
      if (last) {
        lines.push(el("p", { class: "deadline", id: "probe-deadline", text: fmt(T.deadline, { date: longDate(last), n: probeBoot().deadline_days }) }));
        if (v.answered_at) {
          lines.push(el("p", { class: "response", id: "probe-response", text: fmt(T.answeredAfter, {
            days: core.workingDaysBetween(v.sent_at, v.answered_at, daysOff()) }) }));
        } else if (localDate() <= last) {
          lines.push(el("p", { class: "note", id: "probe-wait", text: fmt(T.deadlineOpen, { date: longDate(last) }) }));
        }
      }
      head.replaceChildren.apply(head, lines);
    }
    var opdSelect = el("select", { id: "probe-opd" }, [el("option", { value: "", text: T.chooseOpd })]);
    boot.opds.forEach(function (o) { opdSelect.appendChild(el("option", { value: o.id, text: o.name })); });
    opdSelect.value = v.opd_id ? String(v.opd_id) : "";
    var channels = el("fieldset", { id: "probe-channel", class: "choices" }, [el("legend", { text: T.channel })]);
    var offered = (probeBoot().instruments[0] || {}).channels || probeBoot().channels.map(function (c) { return c.code; });
    offered.forEach(function (code) {
      var attrs = { type: "radio", name: "channel", value: code };
      if (v.channel === code) attrs.checked = "checked";
      channels.appendChild(el("label", { class: "choice" }, [el("input", attrs), el("span", { text: channelName(code) })]));
    });
    function stamp(id, value, labelText, hint) {
      var input = el("input", { type: "datetime-local", id: id, value: value || "", step: "60" });
      var now = el("button", { type: "button", class: "button stamp", "data-now": id, text: T.now });
      return [el("label", { for: id, text: labelText }), hint ? el("p", { class: "hint", text: hint }) : null,
              el("div", { class: "stamp-row" }, [input, now])].filter(Boolean);
    }
    var sent = stamp("probe-sent", v.sent_at, T.sentAt, null);
    var answered = stamp("probe-answered", v.answered_at, T.answeredAt, T.answeredHint);
    var checklist = el("div", { id: "probe-checklist" });
    var error = el("div", { class: "send-alert", role: "alert", tabindex: "-1", id: "send-alert", hidden: "hidden" });
    var saved = el("p", { class: "saved", role: "status" });
    var evidence = el("div", { class: "item visit-photos", id: "probe-evidence" }, [el("p", { class: "label", text: T.evidence })]);
    evidence.insertAdjacentHTML("beforeend", document.getElementById("photo-box").innerHTML);
    page.append(el("label", { for: "probe-opd", text: T.probeOpd }), opdSelect, channels);
    if (v.question) page.append(el("p", { class: "note question", id: "probe-question", text: T.askThis + " " + v.question }));
    page.append.apply(page, sent.concat(answered));
    page.append(el("h2", { text: T.checklist }), checklist, evidence, error, saved);
    var items = [];
    function drawChecklist() {
      checklist.replaceChildren();
      items = [];
      if (!v.channel || !frag) return;
      var holder = el("div", {});
      holder.innerHTML = frag.html;
      var screen = Array.prototype.find.call(holder.querySelectorAll("section.screen"), function (sec) {
        var def = frag.definition.sections.find(function (d) { return d.id === sec.dataset.section; });
        return def && def.channel === v.channel;
      });
      if (!screen) return;
      screen.hidden = false;
      var title = screen.querySelector(".section-head");
      if (title) title.remove();
      checklist.appendChild(screen);
      items = Array.prototype.slice.call(screen.querySelectorAll(".item[data-item]"));
      var stored = v.answers[instId] || {}, notes = (v.notes || {})[instId] || {};
      items.forEach(function (item) {
        item.id = "item-" + item.dataset.item;
        if (item.dataset.item in stored) core.setFieldValue(item, stored[item.dataset.item]);
        var note = item.querySelector("[data-note]");
        if (note) note.value = notes[item.dataset.item] || "";
      });
      refreshItems();
      renderPhotos(checklist, v);
    }
    function refreshItems() {
      core.applyRelevance(items, v.answers[instId] || {}, trees);
      core.markFailing(items);
    }
    function save() {
      var current = {}, details = core.notesOf(items);
      error.hidden = true;
      refreshItems();
      items.forEach(function (item) {
        var value = item.hidden ? null : core.fieldValue(item);
        if (value !== null) current[item.dataset.item] = value;
      });
      var picked = page.querySelector("input[name=channel]:checked");
      var fields = { opd_id: opdSelect.value ? Number(opdSelect.value) : null, channel: picked ? picked.value : null,
                     sent_at: page.querySelector("#probe-sent").value.slice(0, 16) || null,
                     answered_at: page.querySelector("#probe-answered").value.slice(0, 16) || null };
      var redraw = fields.channel !== v.channel;
      return update(v.uuid, function (fresh) {
        Object.assign(fresh, fields);
        fresh.visit_date = fields.sent_at ? fields.sent_at.slice(0, 10) : fresh.visit_date;
        if (fresh.plan_id) {
          var plan = probeBoot().plans.find(function (p) { return p.id === fresh.plan_id; });
          if (!plan || plan.opd_id !== fresh.opd_id || plan.channel !== fresh.channel) fresh.plan_id = null;
        }
        if (!redraw) {
          var merged = Object.assign({}, fresh.answers[instId] || {});
          items.forEach(function (item) { delete merged[item.dataset.item]; });
          fresh.answers[instId] = Object.assign(merged, current);
          fresh.notes = fresh.notes || {};
          fresh.notes[instId] = Object.assign({}, fresh.notes[instId] || {}, details);
        }
        Object.assign(v, fresh);
      }).then(function () {
        saved.textContent = T.savedLocal;
        paintHead();
        if (redraw) drawChecklist();
      }, function () { saved.textContent = T.notEditable; });
    }
    if (can) {
      page.addEventListener("change", function (e) {
        if (e.target.type === "file") { addPhoto(e.target, v); return; }
        save();
      });
      page.addEventListener("input", function (e) { if (e.target.matches("[data-note]")) save(); });
      page.addEventListener("click", function (e) {
        var now = e.target.closest("[data-now]");
        if (now) {
          var input = page.querySelector("#" + now.dataset.now);
          input.value = localDate() + "T" + hhmmNow();
          input.dispatchEvent(new Event("change", { bubbles: true }));
          return;
        }
        photoClick(e, page, v);
      });
      var send = el("button", { type: "button", class: "button primary wide", id: "send-probe", text: T.sendProbe });
      send.addEventListener("click", function () {
        save().then(function () {
          var found = probeProblems(v, frag);
          if (found.length) {
            var list = el("ul", { class: "missing" });
            found.forEach(function (f) {
              var link = el("a", { href: "#", text: f[0] });
              link.addEventListener("click", function (e) {
                e.preventDefault();
                var target = document.getElementById(f[1]);
                if (target) { target.scrollIntoView({ block: "center" }); (target.querySelector("input, select") || target).focus(); }
              });
              list.appendChild(el("li", {}, [link]));
            });
            error.replaceChildren(el("p", { text: fmt(T.notSent, { n: found.length }) }), list);
            error.hidden = false;
            error.focus();
            return;
          }
          return update(v.uuid, function (fresh) { fresh.state = "outbox"; fresh.reason = ""; })
            .then(function () { location.hash = "#/probes"; sync(false); }, function () { route(); });
        });
      });
      page.appendChild(send);
    } else {
      page.querySelectorAll("input, select, textarea, button").forEach(function (c) { c.disabled = true; });
      page.appendChild(el("p", { id: "probe-state", text: v.state === "outbox" ? T.inOutbox : T.sentOk }));
    }
    if (v.reason) page.prepend(el("p", { class: "note reason", text: v.reason }));
    root.replaceChildren(probeCrumbs(v), head, page);
    paintHead();
    drawChecklist();
    renderPhotos(evidence, v);
    if (!can) checklist.querySelectorAll("input, select, textarea, button").forEach(function (c) { c.disabled = true; });
    window.scrollTo(0, 0);
  }

  /* What /api/v1/checks takes: the channel's answers and notes, the photos by hash. */
  function checkPayload(v) {
    var inst = v.instruments[0], given = v.answers[inst.id] || {}, notes = (v.notes || {})[inst.id] || {};
    var frag = probeBoot().instruments.find(function (i) { return i.id === inst.id && i.version === inst.version; });
    var ids = {};
    if (frag) {
      var section = frag.definition.sections.find(function (s) { return s.channel === v.channel; });
      (section ? section.items : []).forEach(function (item) { ids[item.id] = true; });
    }
    var answers = {}, kept = {};
    Object.keys(given).forEach(function (k) { if (!frag || ids[k]) answers[k] = given[k]; });
    Object.keys(notes).forEach(function (k) { if ((!frag || ids[k]) && notes[k]) kept[k] = notes[k]; });
    return { uuid: v.uuid, kind: "probe", opd_id: v.opd_id, channel: v.channel, plan_id: v.plan_id || null,
             instrument: { id: inst.id, version: inst.version }, sent_at: v.sent_at, answered_at: v.answered_at || null,
             answers: answers, notes: kept,
             photos: v.photos.map(function (p) { return { sha256: p.sha256, item_id: p.item_id || "", captured_at: p.captured_at }; }) };
  }

  window.FieldApp = { sync: sync };
  start();
})();
