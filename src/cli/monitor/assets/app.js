// The unibus monitor page: reads /events (the hub's $sys.stats as Server-Sent Events) and
// /tail?pattern=P. Charts are uPlot; everything else is plain DOM. Read-only by design.
'use strict';
const POINTS = 60;
const GONE_KEEP_MS = 60_000;
const PALETTE = ['#6cb6ff', '#5fd38d', '#f0b429', '#ef5b5b', '#c38bff', '#4fd1c5'];
const $ = (sel) => document.querySelector(sel);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

function si(n) {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
function bytes(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
  return Math.round(n) + ' B';
}
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8);

let times = [];
let series = new Map(); // topic -> { rates: number[], row, spark }
let peers = new Map(); // peer id -> { row, goneAt }
let seenEvents = new Set();
let chart;
let chartTopics = '';

function reset() {
  times = [];
  for (const s of series.values()) s.spark?.destroy();
  series = new Map();
  peers = new Map();
  seenEvents = new Set();
  $('#topics tbody').replaceChildren();
  $('#peers tbody').replaceChildren();
  $('#events').replaceChildren();
}

function onStats(s) {
  times.push(s.at / 1000);
  const now = new Map(s.topics.map((t) => [t.topic, t]));
  for (const t of s.topics) if (!series.has(t.topic)) series.set(t.topic, { rates: new Array(times.length - 1).fill(0) });
  for (const [topic, entry] of series) {
    entry.rates.push(now.get(topic)?.msgsPerSec ?? 0);
    if (entry.rates.length > POINTS) entry.rates.shift();
  }
  if (times.length > POINTS) times.shift();
  renderHub(s);
  renderTopics(now);
  renderChart();
  renderPeers(s);
  renderEvents(s.events);
}

function renderHub(s) {
  const h = s.hub;
  $('#hub').innerHTML = '';
  const parts = [['hub', h.name], ['pid', h.pid], ['transport', h.transport], ['up', Math.round(h.uptime) + ' s'], ['rss', bytes(h.rss)],
    ['fds', h.fds ?? '?'], ['peers', h.peers], ['routed', si(h.routed)], ['slow consumers', h.slowConsumers]];
  for (const [k, v] of parts) { $('#hub').append(k + ' '); $('#hub').append(el('b', '', String(v))); $('#hub').append('   '); }
}

function renderTopics(now) {
  const body = $('#topics tbody');
  const order = [...series.entries()].sort((a, b) => (b[1].rates.at(-1) - a[1].rates.at(-1)) || (a[0] < b[0] ? -1 : 1));
  for (const [topic, entry] of order) {
    if (entry.rates.every((r) => r === 0) && !now.has(topic)) { entry.row?.remove(); entry.spark?.destroy(); series.delete(topic); continue; }
    if (!entry.row) {
      entry.row = el('tr');
      entry.row.dataset.topic = topic;
      entry.row.append(el('td', 'name', topic), el('td', 'rate'), el('td', 'bytes'), el('td', 'subs'), el('td', 'spark'));
      entry.spark = new uPlot({ width: 120, height: 26, cursor: { show: false }, legend: { show: false }, select: { show: false },
        axes: [{ show: false }, { show: false }], scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        series: [{}, { stroke: '#6cb6ff', fill: 'rgba(108,182,255,.15)', width: 1, points: { show: false } }] }, [[], []], entry.row.lastChild);
    }
    const t = now.get(topic);
    entry.row.querySelector('.rate').textContent = si(t?.msgsPerSec ?? 0);
    entry.row.querySelector('.bytes').textContent = bytes(t?.bytesPerSec ?? 0) + '/s';
    entry.row.querySelector('.subs').textContent = t ? String(t.subscribers) : '-';
    entry.spark.setData([entry.rates.map((_, i) => i), entry.rates]);
    body.append(entry.row); // append moves it: rows end up sorted by rate
  }
}

function renderChart() {
  const top = [...series.entries()].filter(([t]) => !t.startsWith('$sys.'))
    .sort((a, b) => b[1].rates.at(-1) - a[1].rates.at(-1)).slice(0, PALETTE.length).map(([t]) => t).sort();
  const data = [times.slice(), ...top.map((t) => { const r = series.get(t).rates; return [...new Array(times.length - r.length).fill(null), ...r]; })];
  const key = top.join('\n');
  if (!chart || key !== chartTopics) {
    chart?.destroy();
    chartTopics = key;
    const box = $('#chart');
    chart = new uPlot({ width: box.clientWidth || 900, height: 200,
      scales: { y: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [{ stroke: '#7b8799', grid: { stroke: '#1e2631' } }, { stroke: '#7b8799', grid: { stroke: '#1e2631' }, values: (u, v) => v.map(si), size: 55 }],
      series: [{}, ...top.map((t, i) => ({ label: t, stroke: PALETTE[i], width: 1.5, points: { show: false }, value: (u, v) => v == null ? '-' : si(v) + '/s' }))] }, data, box);
  } else chart.setData(data);
}

function renderPeers(s) {
  const body = $('#peers tbody');
  const live = new Set();
  for (const p of s.peers) {
    live.add(p.id);
    let entry = peers.get(p.id);
    if (!entry) {
      const row = el('tr');
      row.dataset.peer = p.id;
      row.dataset.pid = String(p.pid ?? '');
      for (const c of ['name', 'pid', 'transport', 'in', 'out', 'fill', 'drops', 'state']) row.append(el('td', c));
      entry = { row };
      peers.set(p.id, entry);
      body.append(row);
    }
    const r = entry.row;
    r.querySelector('.name').textContent = p.name;
    r.querySelector('.pid').textContent = String(p.pid ?? '?');
    r.querySelector('.transport').textContent = p.transport;
    r.querySelector('.in').textContent = si(p.msgsInPerSec);
    r.querySelector('.out').textContent = si(p.msgsOutPerSec);
    const fill = r.querySelector('.fill');
    if (p.fill == null) fill.textContent = '-';
    else { const bar = el('span', 'bar'); const i = el('i'); i.style.width = Math.round(p.fill * 100) + '%'; bar.append(i); fill.replaceChildren(bar); fill.title = Math.round(p.fill * 100) + '%'; }
    r.querySelector('.drops').textContent = String(p.drops);
    const state = r.querySelector('.state');
    state.textContent = p.full ? 'full' : 'ok';
    state.className = 'state ' + (p.full ? 'state-full' : 'state-ok');
  }
  for (const [id, entry] of peers) {
    if (live.has(id)) continue;
    if (!entry.goneAt) {
      entry.goneAt = Date.now();
      const left = s.events.findLast?.((e) => e.type === 'peer-left' && e.peer?.id === id);
      entry.row.classList.add('gone');
      const state = entry.row.querySelector('.state');
      state.textContent = 'gone' + (left?.reason ? ' (' + left.reason + ')' : '');
      state.className = 'state';
      entry.row.querySelector('.in').textContent = entry.row.querySelector('.out').textContent = '-';
    } else if (Date.now() - entry.goneAt > GONE_KEEP_MS) { entry.row.remove(); peers.delete(id); }
  }
}

function renderEvents(events) {
  const list = $('#events');
  for (const e of events) {
    const key = e.at + '/' + e.seq;
    if (seenEvents.has(key)) continue;
    seenEvents.add(key);
    const li = el('li');
    const kind = e.type === 'peer-joined' ? 'joined' : e.type === 'peer-left' ? 'left' : e.type === 'slow-consumer' ? 'slow' : '';
    li.append(el('span', 't', clock(e.at)), el('span', kind, e.type));
    li.append(' ' + (e.peer ? e.peer.name + ' pid ' + (e.peer.pid ?? '?') + ' ' + e.peer.transport : '') + (e.reason ? ' (' + e.reason + ')' : '') + (e.detail ? ': ' + e.detail : ''));
    list.prepend(li);
  }
  while (list.children.length > 100) list.lastChild.remove();
}

function setConn(status) {
  const c = $('#conn');
  c.textContent = status.connected ? 'live · ' + status.url : 'hub lost · reconnecting';
  c.className = status.connected ? 'ok' : 'bad';
}

const events = new EventSource('events');
events.addEventListener('init', (m) => { const d = JSON.parse(m.data); reset(); setConn(d.status); for (const s of d.history) onStats(s); });
events.addEventListener('stats', (m) => onStats(JSON.parse(m.data)));
events.addEventListener('status', (m) => setConn(JSON.parse(m.data)));
events.onerror = () => { const c = $('#conn'); c.textContent = 'monitor unreachable · retrying'; c.className = 'bad'; };
window.addEventListener('resize', () => chart?.setSize({ width: $('#chart').clientWidth, height: 200 }));

let tail;
function stopTail() { tail?.close(); tail = undefined; }
$('#tail-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  stopTail();
  const pattern = $('#tail-pattern').value.trim();
  if (!pattern) return;
  const url = 'tail?pattern=' + encodeURIComponent(pattern);
  const check = await fetch(url, { method: 'HEAD' }).catch(() => undefined);
  if (!check?.ok) { $('#tail-note').textContent = check?.status === 400 ? 'invalid pattern: ' + pattern : 'tail unavailable'; return; }
  $('#tail').replaceChildren();
  $('#tail-note').textContent = 'tailing ' + pattern;
  tail = new EventSource(url);
  tail.addEventListener('msg', (m) => {
    const d = JSON.parse(m.data);
    const li = el('li');
    li.append(el('span', 't', clock(d.at)), el('span', 'topic', d.topic), d.data);
    $('#tail').prepend(li);
    while ($('#tail').children.length > 200) $('#tail').lastChild.remove();
  });
  tail.addEventListener('skipped', (m) => { $('#tail-note').textContent = 'tailing ' + pattern + ' (' + m.data + ' skipped in the last second: over 50/s)'; });
});
$('#tail-stop').addEventListener('click', () => { stopTail(); $('#tail-note').textContent = 'stopped'; });
