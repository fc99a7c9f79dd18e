/* A small promise wrapper over IndexedDB for the field app's local data. */
(function (global) {
  "use strict";
  var NAME = "survey-app", VERSION = 1, opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        var visits = db.createObjectStore("visits", { keyPath: "uuid" });
        visits.createIndex("owner", "owner");
        db.createObjectStore("photos", { keyPath: "sha256" });
        db.createObjectStore("fragments", { keyPath: "key" });
        db.createObjectStore("meta", { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return opening;
  }

  function run(store, mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var req = action(tx.objectStore(store));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  global.LocalDB = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); },
    del: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    byOwner: function (owner) {
      return run("visits", "readonly", function (s) { return s.index("owner").getAll(owner); });
    }
  };
})(window);
