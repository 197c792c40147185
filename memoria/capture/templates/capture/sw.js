// Memoria's capture page, offline. Served by the page's own folder, so its scope is that
// folder and nothing else. It keeps the page and its own static files in one cache and
// answers from it only when the network fails. It never touches the token or the
// sending (network only), nor any other page of the platform.
"use strict";

const PREFIX = {{ cache_prefix|safe }};
const CACHE = PREFIX + {{ version|safe }};
const PAGE = {{ page|safe }};
const ASSETS = {{ assets|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([PAGE, ...ASSETS]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith(PREFIX) && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

function cacheKey(request) {
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return null;
  if (url.pathname === PAGE && request.mode === "navigate") return PAGE;
  if (ASSETS.includes(url.pathname)) return url.pathname;
  return null;
}

self.addEventListener("fetch", (event) => {
  const key = cacheKey(event.request);
  if (key === null) return; // the browser does it: network only
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        // A fresh page replaces the kept one; a redirect (to sign in) is never kept.
        if (response.ok && response.type === "basic") {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.open(CACHE)
        .then((cache) => cache.match(key))
        .then((kept) => kept || Response.error()))
  );
});
