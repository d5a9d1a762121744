/* Tidings dashboard behaviour. Plain script, no build step; data comes from JSON script tags
   and the session-authenticated /dashboard/data/ endpoints. All text is set with textContent. */
(function () {
  "use strict";
  var COLORS = ["#2f6fdb", "#e8710a", "#137333", "#b42318", "#8430ce", "#0f8f8f", "#c5221f", "#5f6368"];

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  // Confirm destructive forms (revoke, delete) without inline handlers.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  function makeChart(canvas, kind, labels, series) {
    if (!window.Chart || !canvas) return null;
    return new window.Chart(canvas, {
      type: kind,
      data: {
        labels: labels,
        datasets: series.map(function (s, i) {
          var color = COLORS[i % COLORS.length];
          return { label: s.label, data: s.values, borderColor: color, backgroundColor: color + "99",
                   tension: 0, pointRadius: labels.length > 90 ? 0 : 2, spanGaps: true };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: series.length > 1 } },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  // ---- overview: chart + numbers, refreshed every 5 s --------------------------------------
  var overview = readJSON("overview-data");
  if (overview) {
    var chart = makeChart(document.getElementById("overview-chart"), "bar", overview.labels,
      [{ label: "events", values: overview.per_minute }]);
    var fillTop = function (id, rows, param) {
      var body = document.querySelector("#" + id + " tbody");
      if (!body) return;
      body.textContent = "";
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        var a = document.createElement("a");
        a.href = "/explore?" + param + "=" + encodeURIComponent(r.label) + "&range=24h";
        a.textContent = r.label;
        cell(tr, "").appendChild(a);
        cell(tr, String(r.count), "n");
        body.appendChild(tr);
      });
      if (!rows.length) {
        var tr = document.createElement("tr");
        cell(tr, "Nothing in the last 24 hours.", "muted").colSpan = 2;
        body.appendChild(tr);
      }
    };
    var refresh = function () {
      fetch("/dashboard/data/overview", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (d) {
          document.getElementById("stat-total").textContent = d.total;
          document.getElementById("stat-day").textContent = d.last_day;
          document.getElementById("stat-hour").textContent = d.last_hour;
          document.getElementById("stat-rate").textContent = d.rate_per_minute;
          fillTop("top-namespaces", d.top_namespaces, "namespace");
          fillTop("top-names", d.top_names, "name");
          if (chart) {
            chart.data.labels = d.labels;
            chart.data.datasets[0].data = d.per_minute;
            chart.update();
          }
          document.getElementById("live-badge").textContent = "live";
        })
        .catch(function () { document.getElementById("live-badge").textContent = "offline"; });
    };
    window.setInterval(refresh, 5000);
  }

  // ---- explorer: chart of the result; custom range fields only when chosen -------------------
  var range = document.getElementById("range");
  if (range) {
    var toggle = function () {
      document.querySelectorAll(".custom").forEach(function (el) {
        el.hidden = range.value !== "custom";
      });
    };
    range.addEventListener("change", toggle);
    toggle();
  }
  var explored = readJSON("explore-data");
  if (explored) {
    makeChart(document.getElementById("explore-chart"), explored.kind, explored.chart.labels,
      explored.chart.series);
  }

  // ---- funnels and retention: the answer's chart (the table beside it holds the figures) -----
  var funnelData = readJSON("funnel-data");
  if (funnelData) {
    makeChart(document.getElementById("funnel-chart"), "bar", funnelData.labels, funnelData.series);
  }
  var retentionData = readJSON("retention-data");
  if (retentionData) {
    makeChart(document.getElementById("retention-chart"), "line", retentionData.labels,
      retentionData.series);
  }

  // ---- live tail: recent events, then Server-Sent Events; pausable; filters in the URL -------
  // A fresh tail first reads the newest matching events (context), then follows the live
  // stream from that cursor, so nothing falls between the two. Pausing closes the stream;
  // resuming reopens it after the last event shown, and the server replays what was missed.
  var liveTable = document.getElementById("live-table");
  if (liveTable) {
    var params = new URLSearchParams(window.location.search);
    var form = document.getElementById("live-filter");
    ["namespace", "name", "source"].forEach(function (k) {
      if (params.get(k)) form.elements[k].value = params.get(k);
    });
    var status = document.getElementById("live-status");
    var pauseBtn = document.getElementById("live-pause");
    var body = liveTable.querySelector("tbody");
    var cursor = null, paused = false, source = null, generation = 0, MAX_ROWS = 200;
    var filters = function () {
      var q = new URLSearchParams();
      ["namespace", "name", "source", "session_id", "user_id"].forEach(function (k) {
        var v = form.elements[k] ? form.elements[k].value.trim() : params.get(k);
        if (v) q.set(k, v);
      });
      return q;
    };
    var add = function (e) {
      var tr = document.createElement("tr");
      cell(tr, e.timestamp.replace("T", " ").replace("Z", ""));
      cell(tr, e.source);
      cell(tr, e.namespace);
      cell(tr, e.name);
      cell(tr, String(e.value), "n");
      cell(tr, JSON.stringify(e.properties), "props");
      body.insertBefore(tr, body.firstChild);
      while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
      document.getElementById("live-empty").hidden = body.rows.length > 0;
    };
    var close = function () {
      if (source !== null) { source.close(); source = null; }
    };
    var follow = function () {
      close();
      var q = filters();
      q.set("after", cursor);
      var es = new EventSource("/dashboard/data/live?" + q.toString());
      source = es;
      es.onopen = function () { if (source === es) status.textContent = "Live"; };
      es.onmessage = function (msg) {
        if (source !== es) return;
        add(JSON.parse(msg.data));
        cursor = msg.lastEventId || cursor;
      };
      es.addEventListener("error", function (ev) {
        if (source !== es) return;
        // A server "event: error" (a slow reader) or a dropped connection: the browser
        // reconnects by itself with Last-Event-ID, unless the server refused outright.
        if (es.readyState === EventSource.CLOSED) {
          status.textContent = "Disconnected (log in again?)";
          source = null;
        } else {
          status.textContent = ev.data ? "Catching up…" : "Reconnecting…";
        }
      });
    };
    var start = function () {
      close();
      var mine = ++generation;
      status.textContent = "Connecting…";
      fetch("/dashboard/data/events?" + filters().toString(), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (d) {
          if (mine !== generation) return;  // a newer filter was applied meanwhile
          d.events.forEach(add);
          cursor = d.cursor;
          if (paused) status.textContent = "Paused"; else follow();
        })
        .catch(function (err) {
          if (mine !== generation) return;
          status.textContent = "Reconnecting (" + err.message + ")";
          window.setTimeout(function () { if (mine === generation) start(); }, 3000);
        });
    };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = filters();
      window.history.replaceState(null, "", "/live?" + q.toString());
      params = q;
      body.textContent = "";
      document.getElementById("live-empty").hidden = false;
      cursor = null;
      start();
    });
    pauseBtn.addEventListener("click", function () {
      paused = !paused;
      pauseBtn.setAttribute("aria-pressed", String(paused));
      pauseBtn.textContent = paused ? "Resume" : "Pause";
      if (paused) {
        close();
        status.textContent = "Paused";
      } else if (cursor !== null) {
        follow();
      } else {
        start();
      }
    });
    window.addEventListener("pagehide", close);
    // Back from the back/forward cache: the stream was closed on the way out; pick it up.
    window.addEventListener("pageshow", function (ev) {
      if (ev.persisted && !paused && cursor !== null) follow();
    });
    start();
  }
})();
