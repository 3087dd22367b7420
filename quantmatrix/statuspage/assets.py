"""The page, its script and its stylesheet: static text. The page holds no data; the script
fetches `/api/status` every `REFRESH_MS` and builds the DOM with `textContent` only (never
`innerHTML`), so no value from a manifest, a service or the store can become markup. No inline
script or style: the Content-Security-Policy allows only this origin's `/app.js` and `/app.css`.
"""

from __future__ import annotations

from quantmatrix.sandbox.banner import banner_css

REFRESH_MS = 250  # with the poller's 0.25 s, a change shows within ~0.6 s

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QuantMatrix Deploy · status</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head><body>
<header><h1>QuantMatrix Deploy · status</h1>
<p id="updated" class="muted">loading…</p>
<noscript><p>This page needs JavaScript to show the status; the same data is at <a href="/api/status">/api/status</a>.</p></noscript>
</header>
<section id="halt-panel" hidden><h2>Halt trading</h2>
<form id="halt-form" class="halt"><select id="halt-environment" aria-label="environment"></select>
<input id="halt-reason" type="text" placeholder="reason" aria-label="reason" maxlength="200">
<input id="halt-token" type="password" placeholder="halt token" aria-label="halt token" autocomplete="off">
<button id="halt-button" type="submit">Halt trading</button> <span id="halt-result"></span></form></section>
<main id="environments"></main>
<footer class="muted">Read-only. Data: <a href="/api/status">/api/status</a> · metrics: <a href="/metrics">/metrics</a></footer>
</body></html>
"""

CSS = (
    banner_css()
    + """
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1b1b1b;background:#f4f5f7}
header,footer{padding:.5rem 1rem}
h1{font-size:1.2rem;margin:.3rem 0}
.muted{color:#5a6270}
main{display:grid;gap:1rem;padding:0 1rem 1rem;grid-template-columns:repeat(auto-fill,minmax(28rem,1fr))}
section.env{background:#fff;border:1px solid #d0d4da;border-radius:6px;overflow:hidden}
section.env .body{padding:.5rem 1rem}
h2{font-size:1.1rem;margin:.4rem 0}
h3{font-size:.95rem;margin:.6rem 0 .2rem}
table{border-collapse:collapse;width:100%}
th{white-space:nowrap;width:8.5rem}
td,th{text-align:left;padding:.15rem .4rem;border-bottom:1px solid #eceef1;vertical-align:top;word-break:break-all}
.sync-yes{color:#116329;font-weight:bold}
.sync-no{color:#c4161c;font-weight:bold}
.trading-ACTIVE{color:#116329;font-weight:bold}
.trading-REDUCING{color:#9a6700;font-weight:bold}
.trading-HALTED,.trading-UNKNOWN{color:#c4161c;font-weight:bold}
.error{color:#c4161c}
#halt-panel{margin:0 1rem 1rem;padding:.5rem 1rem;background:#fff;border:1px solid #c4161c;border-radius:6px}
form.halt{display:flex;gap:.3rem;flex-wrap:wrap}
form.halt input{flex:1 1 8rem}
"""
)

SCRIPT = """'use strict';
(function () {
  var REFRESH_MS = __REFRESH_MS__;
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function row(table, cells) {
    var tr = el('tr');
    cells.forEach(function (c) { tr.appendChild(el('td', c === null || c === undefined ? '—' : c)); });
    table.appendChild(tr);
  }
  function kv(table, key, value, cls, id) {
    var tr = el('tr'); tr.appendChild(el('th', key));
    var td = el('td', value === null || value === undefined ? '—' : value, cls);
    if (id) td.setAttribute('data-field', id);
    tr.appendChild(td); table.appendChild(tr);
  }
  function modeClass(mode) {
    return ['local', 'paper', 'live', 'backtest'].indexOf(mode) >= 0 ? 'banner-' + mode : 'banner-unknown';
  }
  function setupHalt() {
    var form = document.getElementById('halt-form');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var token = document.getElementById('halt-token'), result = document.getElementById('halt-result');
      result.textContent = 'sending…';
      fetch('/api/halt', {method: 'POST', credentials: 'omit', cache: 'no-store',
        headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token.value},
        body: JSON.stringify({environment: document.getElementById('halt-environment').value,
                              reason: document.getElementById('halt-reason').value})})
        .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
        .then(function (answer) {
          if (answer[0] === 200) document.getElementById('halt-reason').value = '';
          result.textContent = answer[0] === 200 ? 'halted: ' + answer[1].message : 'refused: ' + (answer[1].message || answer[0]);
        })
        .catch(function () { result.textContent = 'refused: no answer'; })
        .then(function () { token.value = ''; });
    });
  }
  function showHalt(enabled, names) {
    var panel = document.getElementById('halt-panel');
    panel.hidden = !enabled;
    var select = document.getElementById('halt-environment');
    var have = Array.prototype.map.call(select.options, function (o) { return o.value; }).join(',');
    if (have !== names.join(',')) {
      select.replaceChildren.apply(select, names.map(function (n) { var o = el('option', n); o.value = n; return o; }));
    }
  }
  function render(doc) {
    var env = doc.environment;
    var section = el('section', null, 'env'); section.id = 'env-' + env; section.setAttribute('data-environment', env);
    var banner = doc.banner || {mode: doc.mode || 'unknown', text: (doc.mode || 'unknown mode').toUpperCase()};
    var b = el('div', banner.text, 'banner ' + modeClass(banner.mode)); b.setAttribute('data-mode', banner.mode);
    section.appendChild(b);
    var body = el('div', null, 'body'); section.appendChild(body);
    body.appendChild(el('h2', env));
    if (doc.error) body.appendChild(el('p', 'unreadable: ' + doc.error, 'error'));
    var t = el('table');
    var trading = (doc.trading && doc.trading.state) || 'UNKNOWN';
    kv(t, 'sync', doc.error ? 'UNKNOWN' : doc.in_sync ? 'IN SYNC' : 'DRIFTING', doc.in_sync && !doc.error ? 'sync-yes' : 'sync-no', 'sync');
    kv(t, 'trading', trading, 'trading-' + trading, 'trading');
    kv(t, 'reason', doc.trading ? doc.trading.reason : null, null, 'reason');
    if (doc.desired) {
      kv(t, 'release', 'desired ' + doc.desired.release + ' · running ' + (doc.running.release || '—'), null, 'release');
      kv(t, 'configuration', 'desired ' + doc.desired.config_version.slice(0, 12) + ' · running ' + (doc.running.config_version || '—').slice(0, 12), null, 'config');
    }
    kv(t, 'monitoring until', doc.monitoring_until, null, 'monitoring');
    body.appendChild(t);
    if (doc.drift && doc.drift.length) {
      body.appendChild(el('h3', 'Drift'));
      var d = el('table', null, 'drift');
      doc.drift.forEach(function (c) { row(d, [c.subject, (c.before === null ? 'nothing' : c.before) + ' → ' + c.after]); });
      body.appendChild(d);
    }
    if (doc.running && doc.running.components) {
      body.appendChild(el('h3', 'Components'));
      var c = el('table', null, 'components');
      Object.keys(doc.running.components).forEach(function (name) {
        var comp = doc.running.components[name]; row(c, [name, comp.version, comp.health]);
      });
      body.appendChild(c);
    }
    body.appendChild(el('h3', 'Last deployments'));
    var deps = el('table', null, 'deployments');
    (doc.deployments || []).forEach(function (x) { row(deps, [x.id, x.release, x.status, x.finished_at || x.started_at]); });
    if (!(doc.deployments || []).length) row(deps, ['none']);
    body.appendChild(deps);
    body.appendChild(el('h3', 'Open incidents'));
    var inc = el('table', null, 'incidents');
    (doc.incidents || []).forEach(function (x) { row(inc, [x.at, x.severity, x.kind, x.summary]); });
    if (!(doc.incidents || []).length) row(inc, ['none']);
    body.appendChild(inc);
    return section;
  }
  function refresh() {
    fetch('/api/status', {credentials: 'omit', cache: 'no-store'})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var main = document.getElementById('environments');
        var sections = data.environments.map(render);
        showHalt(data.halt_enabled, data.environments.map(function (d) { return d.environment; }));
        main.replaceChildren.apply(main, sections);
        document.getElementById('updated').textContent = 'updated ' + data.generated_at;
      })
      .catch(function () { document.getElementById('updated').textContent = 'status server unreachable'; })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  setupHalt();
  refresh();
})();
""".replace("__REFRESH_MS__", str(REFRESH_MS))
