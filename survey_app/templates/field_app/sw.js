/* Service worker of the field app, version {{ version }}.
   App files: cache first (a new version arrives with a new worker).
   Bootstrap data and form fragments are kept by the app itself in IndexedDB.
   Everything else (the sync API, photos, supervisor pages): network only. */
"use strict";
const VERSION = {{ version|tojson }};
const APP_CACHE = "app-" + VERSION;
const APP_FILES = {{ urls|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(APP_CACHE).then((cache) => cache.addAll(APP_FILES))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith("app-") && key !== APP_CACHE)
        .map((key) => caches.delete(key))
  )).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname === "/field" ? "/field/" : url.pathname;
  if (APP_FILES.indexOf(path) >= 0) {
    event.respondWith(caches.open(APP_CACHE).then((cache) => cache.match(path).then((hit) =>
      hit || fetch(request))));
  }
});
