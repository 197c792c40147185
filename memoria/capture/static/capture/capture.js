// Capture on the road: testimony drafts kept on the phone, encrypted, sent when online.
//
// Threat model (docs/offline.md): someone who takes the phone, or copies the browser's
// storage, finds only ciphertext. Each draft is encrypted with AES-GCM (a fresh 96-bit
// IV per draft, the draft's identifier as additional data) under a key derived from the
// member's passphrase with PBKDF2-SHA-256 (600,000 iterations, a random 16-byte salt).
// The key is never extractable and lives in this page's memory only while unlocked;
// the passphrase is never stored. IndexedDB keeps: the salt, the iteration count, a
// known value encrypted under the key (to tell a wrong passphrase), and per draft its
// random identifier, IV and ciphertext. Nothing else.
(function () {
  "use strict";

  var ITERATIONS = 600000;
  var CHECK = "memoria-capture";
  var main = document.querySelector("main.capture");
  var messages = JSON.parse(document.getElementById("capture-messages").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var key = null; // the CryptoKey, only while unlocked
  var meta = null; // {salt, iterations, iv, check}
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function say(text, kind) {
    var p = document.createElement("p");
    p.className = "message " + (kind || "");
    p.textContent = text;
    $("notice").replaceChildren(p);
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }

  if (!(window.crypto && crypto.subtle && window.indexedDB)) {
    say(messages.unsupported, "error");
    return;
  }

  // -- storage ---------------------------------------------------------------------

  var dbName = "memoria-capture-" + main.dataset.organization;
  var opening = null;

  function db() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(dbName, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("meta");
          request.result.createObjectStore("drafts", { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }

  function run(store, mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(store, mode);
        var request = work(tx.objectStore(store));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var getMeta = function () { return run("meta", "readonly", function (s) { return s.get("key"); }); };
  var putMeta = function (value) { return run("meta", "readwrite", function (s) { return s.put(value, "key"); }); };
  var allDrafts = function () { return run("drafts", "readonly", function (s) { return s.getAll(); }); };
  var putDraft = function (record) { return run("drafts", "readwrite", function (s) { return s.put(record); }); };
  var deleteDraft = function (id) { return run("drafts", "readwrite", function (s) { return s.delete(id); }); };
  var countDrafts = function () { return run("drafts", "readonly", function (s) { return s.count(); }); };

  // -- cryptography ------------------------------------------------------------------

  function deriveKey(passphrase, salt, iterations) {
    return crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false, ["deriveKey"])
      .then(function (material) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
          material,
          { name: "AES-GCM", length: 256 },
          false, // never extractable
          ["encrypt", "decrypt"]
        );
      });
  }

  function encrypt(value, additional) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var params = { name: "AES-GCM", iv: iv, additionalData: encoder.encode(additional) };
    return crypto.subtle.encrypt(params, key, encoder.encode(JSON.stringify(value)))
      .then(function (data) { return { iv: iv, data: data }; });
  }

  function decrypt(sealed, additional, withKey) {
    var params = { name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(additional) };
    return crypto.subtle.decrypt(params, withKey || key, sealed.data)
      .then(function (plain) { return JSON.parse(decoder.decode(plain)); });
  }

  // -- the page ----------------------------------------------------------------------

  function showConnection() {
    $("connection").textContent = navigator.onLine ? messages.online : messages.offline;
    $("send").disabled = !navigator.onLine;
  }

  function showCount() {
    return countDrafts().then(function (n) {
      $("count").textContent = format(messages.stored, { count: n });
    });
  }

  function showLocked() {
    key = null;
    $("workspace").hidden = true;
    $("unlock").hidden = false;
    $("confirm-field").hidden = Boolean(meta);
    $("passphrase-again").required = !meta;
    $("passphrase").value = "";
    $("passphrase-again").value = "";
    $("drafts").replaceChildren();
  }

  function showDrafts() {
    return allDrafts().then(function (records) {
      return Promise.all(records.map(function (record) {
        return decrypt(record, record.id).then(function (draft) { return draft; });
      }));
    }).then(function (drafts) {
      drafts.sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      $("drafts").replaceChildren.apply($("drafts"), drafts.map(function (draft) {
        var li = document.createElement("li");
        li.textContent = (draft.title || messages.untitled) + " · " + draft.recorded_on;
        return li;
      }));
      return showCount();
    });
  }

  function unlock(event) {
    event.preventDefault();
    var passphrase = $("passphrase").value;
    $("unlock-button").disabled = true;
    var done = function () { $("unlock-button").disabled = false; };
    if (!meta) {
      if (passphrase.length < 12) { say(messages.short, "error"); done(); return; }
      if (passphrase !== $("passphrase-again").value) { say(messages.mismatch, "error"); done(); return; }
      var salt = crypto.getRandomValues(new Uint8Array(16));
      deriveKey(passphrase, salt, ITERATIONS).then(function (derived) {
        key = derived;
        return encrypt(CHECK, "check");
      }).then(function (check) {
        meta = { salt: salt, iterations: ITERATIONS, iv: check.iv, data: check.data };
        return putMeta(meta);
      }).then(opened).catch(function (e) { say(String(e), "error"); }).then(done);
      return;
    }
    deriveKey(passphrase, meta.salt, meta.iterations).then(function (derived) {
      return decrypt(meta, "check", derived).then(function (value) {
        if (value !== CHECK) throw new Error("check");
        key = derived;
      });
    }).then(opened, function () { say(messages.wrong, "error"); }).then(done);
  }

  function opened() {
    $("passphrase").value = "";
    $("passphrase-again").value = "";
    $("unlock").hidden = true;
    $("workspace").hidden = false;
    say(messages.unlocked, "success");
    return showDrafts();
  }

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function save(event) {
    event.preventDefault();
    if (!key) { showLocked(); return; }
    var form = $("draft");
    var draft = { id: newId(), saved_at: new Date().toISOString() };
    ["title", "testimony", "recorded_on", "occurred_on", "precision", "state", "locality", "reference"]
      .forEach(function (name) { draft[name] = form.elements[name].value; });
    encrypt(draft, draft.id).then(function (sealed) {
      return putDraft({ id: draft.id, iv: sealed.iv, data: sealed.data });
    }).then(function () {
      form.reset();
      $("recorded_on").value = today();
      say(messages.saved, "success");
      return showDrafts();
    }).catch(function (e) { say(String(e), "error"); });
  }

  // -- sending -----------------------------------------------------------------------

  function Stop(message) { this.message = message; }

  function freshToken() {
    return fetch(main.dataset.token, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) throw new Stop(messages.signin);
        if (response.status === 403) throw new Stop(messages.forbidden);
        if (!response.ok) throw new Stop(messages.noconnection);
        return response.json();
      }, function () { throw new Stop(messages.noconnection); })
      .then(function (body) { return body.token; });
  }

  function post(draft, token) {
    var body = {};
    ["id", "title", "testimony", "recorded_on", "occurred_on", "precision", "state", "locality", "reference"]
      .forEach(function (name) { body[name] = draft[name] || ""; });
    return fetch(main.dataset.send, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
    });
  }

  function result(text, kind) {
    var li = document.createElement("li");
    li.className = "message " + kind;
    li.textContent = text;
    $("results").appendChild(li);
  }

  // Send one draft; a 403 (a token that expired meanwhile) is retried once with a new one.
  function sendOne(record, token, retried) {
    return decrypt(record, record.id).then(function (draft) {
      return post(draft, token).then(function (response) {
        if (response.type === "opaqueredirect") throw new Stop(messages.signin);
        if (response.status === 403 && !retried) {
          return freshToken().then(function (fresh) { return sendOne(record, fresh, true); });
        }
        if (response.status === 403) throw new Stop(messages.forbidden);
        return response.json().then(function (answer) {
          var title = draft.title || messages.untitled;
          if (response.status === 201 || response.status === 200) {
            var text = response.status === 201 ? messages.sent : messages.again;
            result(title + ": " + format(text, { number: answer.case }), "success");
            return deleteDraft(record.id).then(function () { return token; });
          }
          if (response.status === 409) {
            result(title + ": " + format(messages.conflict, { number: answer.case }), "error");
            return token;
          }
          var errors = Object.keys(answer.errors || {}).map(function (field) {
            return answer.errors[field].join(" ");
          }).join(" ");
          result(title + ": " + format(messages.refused, { errors: errors }), "error");
          return token;
        });
      }, function () { throw new Stop(messages.noconnection); });
    });
  }

  function sendAll() {
    if (!key) { showLocked(); return; }
    $("send").disabled = true;
    $("results").replaceChildren();
    allDrafts().then(function (records) {
      if (!records.length) { say(messages.nothing, ""); return null; }
      return freshToken().then(function (token) {
        // One after the other: each answer decides whether the draft leaves the phone.
        return records.reduce(function (chain, record) {
          return chain.then(function (current) { return sendOne(record, current, false); });
        }, Promise.resolve(token));
      });
    }).catch(function (e) {
      say(e instanceof Stop ? e.message : String(e), "error");
    }).then(function () {
      showConnection();
      return key ? showDrafts() : showCount();
    });
  }

  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  // -- start -------------------------------------------------------------------------

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(main.dataset.worker, { scope: main.dataset.scope })
      .catch(function () { /* offline already, or refused: the page still works online */ });
  } else {
    say(messages.unsupported, "error");
  }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  $("unlock").addEventListener("submit", unlock);
  $("draft").addEventListener("submit", save);
  $("send").addEventListener("click", sendAll);
  $("lock").addEventListener("click", function () { showLocked(); say(messages.locked, ""); });
  $("recorded_on").value = today();
  showConnection();
  getMeta().then(function (stored) {
    meta = stored || null;
    if (!meta) $("unlock-title").textContent = $("unlock-title").dataset.first;
    showLocked();
    main.dataset.ready = "true";
    return showCount();
  });
})();
