/*
 * Tidings browser snippet: page views, clicks and custom events, sent to one source.
 *
 *   <script src="https://tidings.example.org/tidings.js" data-write-key="wk_..." defer></script>
 *
 * Options (data- attributes): write-key (required; a source key, which can only write),
 * namespace (default "web"), host (default: where this script came from),
 * page-views="false" and clicks="false" to turn the automatic events off.
 * API: tidings.track(name, properties, value), tidings.page(properties),
 * tidings.identify(userId), tidings.flush(), tidings.sessionId.
 *
 * Events are batched and posted to /api/v1/events with fetch(keepalive); when the page is
 * hidden or unloaded the rest goes with navigator.sendBeacon. No unload handler ever waits.
 *
 * Privacy (api.md section 8, "Web"): no cookie, and no identifier outlives a day. The session
 * id lives in sessionStorage (one tab) and is replaced after 30 minutes without an event and
 * at each UTC midnight. Page views carry the path, the referrer's origin only when it is
 * another site, the utm_* parameters of the URL and the screen width; the server derives
 * browser, OS and device from the User-Agent header and stores neither it nor the address.
 */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  if (!script || !w.JSON) return;
  var cfg = script.dataset || {};
  var key = cfg.writeKey;
  if (!key) {
    if (w.console) w.console.warn("tidings.js: data-write-key is missing; nothing is sent");
    return;
  }
  var host = (cfg.host || new URL(script.src, w.location.href).origin).replace(/\/+$/, "");
  var endpoint = host + "/api/v1/events";
  var namespace = cfg.namespace || "web";
  var MAX_BATCH = 20;
  var MAX_BYTES = 60000; // keepalive and beacon bodies are limited to 64 KiB in flight
  var FLUSH_MS = 1000;
  var MAX_ATTEMPTS = 4;
  var queue = [];
  var timer = null;
  var userId = null;

  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = "";
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  // One session per tab: sessionStorage survives reloads and navigations, not new tabs. A
  // session ends after 30 idle minutes (Plausible's rule) and at UTC midnight, so the id
  // never links one day's visit to the next.
  var SESSION_IDLE_MS = 30 * 60 * 1000;
  var SESSION_KEY = "tidings.session";
  var session = null;

  function utcDay(ms) { return Math.floor(ms / 86400000); }

  function currentSession() {
    var now = Date.now();
    if (!session) {
      try { session = JSON.parse(w.sessionStorage.getItem(SESSION_KEY) || "null"); }
      catch (e) { session = null; }
    }
    if (!session || typeof session.id !== "string" || now - session.last > SESSION_IDLE_MS ||
        utcDay(session.last) !== utcDay(now)) {
      session = { id: uuid(), last: now };
    }
    session.last = now;
    try { w.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session)); } catch (e) { /* private mode */ }
    return session.id;
  }

  // The referrer's origin when it is another site (a different host name, "www." aside);
  // nothing for direct visits and for navigation inside the site.
  function externalReferrer() {
    if (!d.referrer) return null;
    try {
      var from = new URL(d.referrer);
      var bare = function (host) { return host.replace(/^www\./, ""); };
      if (from.protocol !== "http:" && from.protocol !== "https:") return null;
      return bare(from.hostname) === bare(w.location.hostname) ? null : from.origin;
    } catch (e) {
      return null;
    }
  }

  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function pageProperties() {
    var props = { path: w.location.pathname, title: d.title, screen_width: w.screen.width };
    var referrer = externalReferrer();
    if (referrer) props.referrer = referrer;
    var query = new URLSearchParams(w.location.search);
    for (var i = 0; i < UTM.length; i++) {
      var v = query.get(UTM[i]);
      if (v) props[UTM[i]] = v.slice(0, 200);
    }
    return props;
  }

  // No userAgent here: the server reads the header, derives what it keeps and drops the rest.
  // The library name is what tells the server that an event comes from a browser.
  function context() {
    return {
      page: { url: w.location.href, path: w.location.pathname, title: d.title },
      language: w.navigator.language,
      screen: { width: w.screen.width, height: w.screen.height },
      library: { name: "tidings.js", version: "2" }
    };
  }

  function enqueue(name, properties, value) {
    var event = {
      namespace: namespace,
      name: String(name).slice(0, 200),
      timestamp: new Date().toISOString(),
      value: typeof value === "number" && isFinite(value) ? value : 1,
      properties: properties && typeof properties === "object" ? properties : {},
      context: context(),
      session_id: currentSession(),
      message_id: uuid()
    };
    if (userId) event.user_id = userId;
    api.sessionId = event.session_id;
    queue.push({ event: event, attempts: 0 });
    if (queue.length >= MAX_BATCH) flush(false);
    else if (!timer) timer = w.setTimeout(function () { flush(false); }, FLUSH_MS);
  }

  function takeBatch() {
    var batch = [];
    var size = 0;
    while (queue.length && batch.length < MAX_BATCH) {
      var bytes = JSON.stringify(queue[0].event).length + 1;
      if (batch.length && size + bytes > MAX_BYTES) break;
      batch.push(queue.shift());
      size += bytes;
    }
    return batch;
  }

  function retry(batch, delaySeconds) {
    var again = [];
    for (var i = 0; i < batch.length; i++) {
      if (++batch[i].attempts < MAX_ATTEMPTS) again.push(batch[i]);
    }
    if (!again.length) return;
    var wait = delaySeconds >= 0 ? delaySeconds * 1000 : 500 * Math.pow(2, again[0].attempts);
    w.setTimeout(function () {
      queue = again.concat(queue);
      flush(false);
    }, wait);
  }

  function send(batch, unloading) {
    var events = [];
    for (var i = 0; i < batch.length; i++) events.push(batch[i].event);
    // The key travels in the body: sendBeacon cannot set headers, and text/plain keeps the
    // request "simple" (no CORS preflight) for both ways of sending.
    var body = JSON.stringify({ writeKey: key, events: events });
    var nav = w.navigator;
    if (unloading && nav.sendBeacon) {
      try {
        if (nav.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) return;
      } catch (e) { /* fall through to fetch */ }
    }
    if (!w.fetch) {
      if (nav.sendBeacon) nav.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }));
      return;
    }
    w.fetch(endpoint, {
      method: "POST",
      body: body,
      keepalive: true,
      credentials: "omit",
      headers: { "Content-Type": "text/plain" }
    }).then(function (r) {
      if (r.status >= 500 || r.status === 408 || r.status === 429) {
        var after = parseFloat(r.headers.get("Retry-After"));
        retry(batch, isNaN(after) ? -1 : after);
      } else if (!r.ok && w.console) {
        w.console.warn("tidings.js: events rejected with HTTP " + r.status);
      }
    }, function () {
      if (!unloading) retry(batch, -1);
    });
  }

  function flush(unloading) {
    if (timer) {
      w.clearTimeout(timer);
      timer = null;
    }
    while (queue.length) send(takeBatch(), unloading);
  }

  function targetId(el) {
    while (el && el !== d.documentElement) {
      if (el.id) return el.id;
      el = el.parentElement;
    }
    return "";
  }

  var api = {
    sessionId: currentSession(),
    track: function (name, properties, value) { enqueue(name, properties, value); },
    page: function (properties) {
      var props = pageProperties();
      props.url = w.location.href;
      for (var k in properties || {}) props[k] = properties[k];
      enqueue("pageView", props);
    },
    identify: function (id) { userId = id ? String(id) : null; },
    flush: function () { flush(false); }
  };

  // Calls queued before the script loaded: window.tidings = [["track", "x", {...}], ...].
  var pending = Array.isArray(w.tidings) ? w.tidings : [];
  w.tidings = api;

  if (cfg.pageViews !== "false") api.page();
  if (cfg.clicks !== "false") {
    d.addEventListener("click", function (e) {
      var el = e.target && e.target.nodeType === 1 ? e.target : e.target && e.target.parentElement;
      enqueue("click", {
        target: targetId(el),
        tag: el ? el.tagName.toLowerCase() : "",
        clickX: Math.round(e.pageX),
        clickY: Math.round(e.pageY)
      });
    }, true);
  }
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") flush(true);
  });
  w.addEventListener("pagehide", function () { flush(true); });
  for (var i = 0; i < pending.length; i++) {
    var call = pending[i];
    if (call && typeof api[call[0]] === "function") api[call[0]].apply(api, call.slice(1));
  }
})(window, document);
