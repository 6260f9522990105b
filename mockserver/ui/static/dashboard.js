// The dashboard: state fed by the server's event stream, views drawn at most once per
// animation frame, and controls that are plain admin API calls.
import { Api, Feed, device as devicePath } from './api.js';
import * as timeline from './timeline.js';

const api = new Api();
const $ = (id) => document.getElementById(id);
const JOURNAL_ROWS = 500; // kept, for the "only broken" filter
const JOURNAL_SHOWN = 60; // drawn: a burst redraws a screenful, not a long table
const DEVICE_ROWS = 500; // a page of the device list
const SEARCH_DELAY_MS = 250; // typing in the search box asks the server once it pauses
// How each bearer other than LoRaWAN radio is named; its devices have no class or session.
const BEARERS = { mqtt: 'MQTT', sms: 'SMS', http: 'HTTP' };
const EVENT_ROWS = 100;
const OUTBOUND_ROWS = 200;
const SLOW_REFRESH_MS = 1000; // outbound and coverage: whole lists, fetched at most this often

const state = {
  tenants: [],
  world: '',
  clock: { kind: 'virtual', now: null },
  devices: new Map(),
  devicesTotal: 0,
  // The stream lists this many devices at most; a larger world is paged by the server.
  devicesLimit: Infinity,
  // The device list's page: its offset, and (a large world) the rows the server sent.
  devicePage: { offset: 0, ids: [], rows: new Map(), total: 0 },
  journal: [], // newest first
  journalSkipped: 0,
  outboundCount: 0,
  scenario: null,
  scenarios: [],
  selected: null,
  view: 'device',
  detail: { queue: [], events: [], pingSlots: [] },
  openExchange: null,
};

// -- small helpers ------------------------------------------------------------------------
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(value) {
  return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// A path or URL that may wrap after each slash (where a reader splits it), never mid-name.
function breakable(path) {
  return esc(path).replace(/\//g, '/<wbr>');
}

function json(value) {
  return esc(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

// The time of day (the header shows the date); the whole instant on hover.
function timeOf(iso) {
  if (!iso) return '—';
  const clockDay = state.clock.now ? state.clock.now.slice(0, 10) : '';
  const shown = iso.slice(0, 10) === clockDay ? iso.slice(11, -1) : iso.replace('T', ' ').replace('Z', '');
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(shown)}</time>`;
}

// A device state that names an instant ("silent until <ISO>") shows it as the list's other
// times: the time of day, whole on hover, never split over two lines.
function stateText(state) {
  return esc(state).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, (iso) => timeOf(iso));
}

function hexToBase64(hex) {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('the payload must be pairs of hex digits');
  let bytes = '';
  for (let i = 0; i < clean.length; i += 2) bytes += String.fromCharCode(parseInt(clean.substr(i, 2), 16));
  return btoa(bytes);
}

function base64ToHex(text) {
  try {
    return Array.from(atob(text || ''), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('').toUpperCase();
  } catch (error) {
    return text;
  }
}

function toast(message, isError) {
  const note = document.createElement('div');
  note.textContent = message;
  if (isError) note.className = 'error';
  $('toast').appendChild(note);
  setTimeout(() => note.remove(), isError ? 8000 : 3000);
}

// Runs an admin call for a control: errors are shown, never thrown at the console.
async function act(what, call) {
  try {
    const result = await call();
    if (what) toast(what);
    return result;
  } catch (error) {
    toast(error.message, true);
    return undefined;
  }
}

// -- drawing: each part at most once per frame --------------------------------------------
const dirty = new Set();
let frame = 0;
function invalidate(...parts) {
  for (const part of parts) dirty.add(part);
  if (!frame) frame = requestAnimationFrame(flush);
}
// Parts drawn at most this often (ms): in a burst the journal changes with every batch,
// and a person reads it no faster.
const PACE = { journal: 400, outbound: 400, coverage: 400 };
const drawnAt = {};
const waiting = {};
function flush() {
  frame = 0;
  const parts = Array.from(dirty);
  dirty.clear();
  const now = performance.now();
  for (const part of parts) {
    const wait = (drawnAt[part] || -Infinity) + (PACE[part] || 0) - now;
    if (wait > 0) {
      if (!waiting[part]) waiting[part] = setTimeout(() => { waiting[part] = 0; invalidate(part); }, wait);
      continue;
    }
    drawnAt[part] = now;
    renderers[part]();
  }
}

const renderers = {
  header: renderHeader,
  devices: renderDevices,
  device: renderDevice,
  timeline: renderTimeline,
  journal: renderJournal,
  outbound: () => refreshOutbound(),
  scenario: renderScenario,
  coverage: () => refreshCoverage(),
};

// Replaces a select's options only when they change: rebuilding them would close the list
// under the user's pointer at every update.
function setOptions(select, options) {
  const html = options.map(([value, label, title]) => `<option value="${esc(value)}" title="${esc(title || '')}">${esc(label)}</option>`).join('');
  if (select.dataset.options !== html) {
    select.innerHTML = html;
    select.dataset.options = html;
  }
}

function renderHeader() {
  const names = state.tenants.slice();
  if (api.tenant && !names.includes(api.tenant)) names.push(api.tenant);
  setOptions($('tenant'), [['', 'home']].concat(names.map((name) => [name, name])));
  $('tenant').value = api.tenant || '';
  $('world').textContent = state.world ? `world: ${state.world}` : '';
  const clock = state.clock;
  $('clock').textContent = clock.now ? `${clock.now.replace('T', ' ').replace('Z', '')} (${clock.kind})` : '';
  const real = clock.kind !== 'virtual';
  for (const id of ['advance', 'run-idle']) {
    $(id).disabled = real;
    $(id).title = real ? 'the server runs on the real clock (serve --virtual-time to drive it)' : '';
  }
  const choice = $('scenario-choice');
  setOptions(choice, [['', '—']].concat(state.scenarios.map((s) => [s.name, s.name, s.description])));
  const active = state.scenario ? state.scenario.name : '';
  if (choice.dataset.active !== active) { // follow the server, but not over the user's pick
    choice.dataset.active = active;
    choice.value = state.scenarios.some((s) => s.name === active) ? active : '';
  }
  $('scenario-clear').disabled = !state.scenario;
  $('journal-badge').textContent = state.journal.length ? String(state.journal[0].sequence) : '';
  $('outbound-badge').textContent = state.outboundCount ? String(state.outboundCount) : '';
}

// -- devices: their bearer, and a list paged (by the server, in a large world) -----------
function isLora(row) {
  return !row.bearer || row.bearer === 'lora';
}

// The list's bearer cell: LoRa and the device's class, or another bearer's name.
function bearerCell(row) {
  if (isLora(row)) return `<td data-col="bearer">LoRa ${esc(row.class)}</td>`;
  return `<td data-col="bearer"><span class="bearer-tag">${esc(BEARERS[row.bearer] || row.bearer)}</span></td>`;
}

// The detail's one-line facts: class · region · session for LoRa, the bearer otherwise.
function deviceFacts(row) {
  if (!isLora(row)) return `${row.provider} · ${BEARERS[row.bearer] || row.bearer} · ${row.state}`;
  return `${row.provider} · class ${row.class} · ${row.band} · DevEUI ${row.dev_eui || '—'} · ${row.state}`;
}

// A row as freshest known: the stream's (it follows every change), else the page's.
function rowOf(id) {
  return state.devices.get(id) || state.devicePage.rows.get(id) || null;
}

// A world larger than the stream lists is searched and paged by the server.
function serverPaged() {
  return state.devicesTotal > state.devicesLimit;
}

function matches(row, filter) {
  return `${row.id} ${row.dev_eui || ''} ${row.bearer || ''} ${row.state}`.toLowerCase().includes(filter);
}

// The rows of the page shown, and how many match in all.
function devicePage() {
  const page = state.devicePage;
  if (serverPaged()) {
    return { rows: page.ids.map(rowOf).filter(Boolean), total: page.total };
  }
  const filter = $('device-filter').value.trim().toLowerCase();
  const found = [];
  for (const row of state.devices.values()) if (!filter || matches(row, filter)) found.push(row);
  if (page.offset >= found.length) page.offset = Math.max(0, Math.floor((found.length - 1) / DEVICE_ROWS) * DEVICE_ROWS);
  return { rows: found.slice(page.offset, page.offset + DEVICE_ROWS), total: found.length };
}

function renderDevices() {
  const { rows, total } = devicePage();
  const byProvider = new Map();
  for (const row of rows) {
    if (!byProvider.has(row.provider)) byProvider.set(row.provider, []);
    byProvider.get(row.provider).push(row);
  }
  const parts = [];
  for (const provider of Array.from(byProvider.keys()).sort()) {
    parts.push(`<h4>${esc(provider)}</h4><table class="grid"><thead><tr><th>device</th><th title="LoRa and its class, or KPN's MQTT, SMS or HTTP bearer">bearer</th><th>state</th><th>last uplink</th><th>queue</th></tr></thead><tbody>`);
    for (const row of byProvider.get(provider)) {
      const selected = row.id === state.selected ? ' class="selected"' : '';
      parts.push(`<tr data-device="${esc(row.id)}" data-bearer="${esc(row.bearer || 'lora')}"${selected}><td title="${esc(row.id)}">${esc(row.id)}</td>${bearerCell(row)}`
        + `<td>${stateText(row.state)}</td><td>${timeOf(row.last_uplink)}</td><td data-col="queued">${row.queued}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  $('devices').innerHTML = parts.join('') || '<p class="muted">No device.</p>';
  const offset = state.devicePage.offset;
  const searching = $('device-filter').value.trim() !== '';
  const all = state.devicesTotal;
  $('device-count').textContent = searching || total < all ? `${total} of ${all}` : String(all);
  const paged = total > DEVICE_ROWS || offset > 0;
  $('device-pager').hidden = !paged;
  $('devices-range').textContent = rows.length ? `${offset + 1}–${offset + rows.length} of ${total}` : `0 of ${total}`;
  $('devices-prev').disabled = offset === 0;
  $('devices-next').disabled = offset + DEVICE_ROWS >= total;
}

// A page of a large world's devices, as the server finds them (GET /_mock/ui/devices).
const refreshDevicePage = coalesced(async () => {
  if (!serverPaged()) return;
  const page = state.devicePage;
  const q = $('device-filter').value.trim();
  const offset = page.offset;
  const found = await api.get(`ui/devices?q=${encodeURIComponent(q)}&offset=${offset}&limit=${DEVICE_ROWS}`);
  if (q !== $('device-filter').value.trim() || offset !== page.offset) { refreshDevicePage(); return; }
  page.ids = found.devices.map((row) => row.id);
  page.rows = new Map(found.devices.map((row) => [row.id, row]));
  page.total = found.total;
  invalidate('devices', 'device');
}, 0);

function turnDevicePage(step) {
  const page = state.devicePage;
  page.offset = Math.max(0, page.offset + step * DEVICE_ROWS);
  if (serverPaged()) refreshDevicePage();
  invalidate('devices');
}

function renderDevice() {
  const row = state.selected ? rowOf(state.selected) : null;
  $('device-empty').hidden = Boolean(row);
  $('device-detail').hidden = !row;
  if (!row) return;
  $('device-title').textContent = row.id;
  $('device-facts').textContent = deviceFacts(row);
  // Another bearer's downlinks are never in the radio queue: say where they are instead.
  const lora = isLora(row);
  $('queue-head').hidden = !lora;
  $('queue').hidden = !lora;
  $('queue-clear').hidden = !lora;
  $('bearer-note').hidden = lora;
  if (!lora) {
    const name = BEARERS[row.bearer] || row.bearer;
    $('bearer-note').textContent = `${name} downlinks go through the ${name} bearer, not a radio queue: `
      + `${row.queued} not finished (${row.state}). The timeline and events below follow each one from created to DONE.`;
  }
  const queue = state.detail.queue;
  $('queue-count').textContent = `(${queue.length})`;
  $('queue').tBodies[0].innerHTML = queue.map((d, i) => `<tr><td>${i + 1}</td><td>${esc(d.f_port)}</td>`
    + `<td title="${esc(d.frm_payload)}">${esc(base64ToHex(d.frm_payload))}</td><td>${d.confirmed ? 'yes' : 'no'}</td>`
    + `<td>${esc(d.priority)}</td><td>${timeOf(d.queued_at)}</td><td>${esc((d.correlation_ids || []).join(' '))}</td></tr>`).join('')
    || '<tr><td colspan="7" class="muted">empty</td></tr>';
  const events = state.detail.events.slice(-EVENT_ROWS).reverse();
  $('events').tBodies[0].innerHTML = events.map((e) => {
    const details = Object.keys(e).filter((k) => !['kind', 'at', 'downlinks'].includes(k))
      .map((k) => `${k}=${typeof e[k] === 'object' ? JSON.stringify(e[k]) : e[k]}`);
    for (const d of e.downlinks) details.push(`FPort ${d.f_port} ${base64ToHex(d.frm_payload)}${d.confirmed ? ' confirmed' : ''}`);
    return `<tr data-kind="${esc(e.kind)}"><td>${timeOf(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(details.join(' · '))}</td></tr>`;
  }).join('') || '<tr><td colspan="3" class="muted">nothing yet</td></tr>';
  renderTimeline();
}

function timelineRange() {
  const now = timeline.ms(state.clock.now);
  return timeline.range(timeline.marks(state.detail.events), now, $('timeline-span').value);
}

function renderTimeline() {
  const row = state.selected ? rowOf(state.selected) : null;
  if (!row || !state.clock.now) return;
  timeline.draw($('timeline'), {
    events: state.detail.events,
    pingSlots: state.detail.pingSlots,
    now: timeline.ms(state.clock.now),
    span: $('timeline-span').value,
    classB: isLora(row) && row.class === 'B',
    bearer: isLora(row) ? null : (BEARERS[row.bearer] || row.bearer),
  });
}

// An exchange's contract cell: "valid", the rules it broke, and a badge of its own for
// contract warnings (the vendor accepted the request but dropped part of it).
function contractCell(entry, advice) {
  const broken = entry.violations.map((v) => `<span class="rule" title="${esc(v.direction)} ${esc(v.where)}: ${esc(v.message)}">${esc(v.rule)}</span><span class="muted">${esc(v.where)}</span>`).join(' ');
  const warned = advice.length
    ? `<span class="warn" data-role="warning-badge" title="${esc(advice.map((w) => `${w.where}: ${w.message}`).join('\n'))}">${advice.length === 1 ? 'warning' : `${advice.length} warnings`}</span><span class="muted">${esc(advice[0].where)}</span>`
    : '';
  if (entry.valid) return warned || '<span class="ok">valid</span>';
  return warned ? `${broken} ${warned}` : broken;
}

function renderJournal() {
  if (state.view !== 'journal') return;
  const onlyBad = $('journal-violations-only').checked;
  const rows = [];
  for (const entry of state.journal) {
    if (rows.length >= JOURNAL_SHOWN) break;
    const advice = entry.warnings || [];
    if (onlyBad && entry.valid && !advice.length) continue;
    const contract = contractCell(entry, advice);
    const scenario = entry.scenario_rule ? ` <span class="muted">scenario: ${esc(entry.scenario_rule)}</span>` : '';
    const selected = entry.sequence === state.openExchange ? ' class="selected"' : '';
    rows.push(`<tr data-sequence="${entry.sequence}"${selected}><td>${entry.sequence}</td><td>${timeOf(entry.at)}</td>`
      + `<td>${esc(entry.provider || '—')}</td><td title="${esc(`${entry.method} ${entry.path}\n${entry.operation || 'no operation'}`)}">${esc(entry.method)} ${esc(entry.path)}</td>`
      + `<td class="${entry.status >= 400 || entry.status === 0 ? 'bad' : ''}">${entry.status || 'no answer'}</td>`
      + `<td title="${esc([...entry.violations.map((v) => `${v.rule} ${v.where}: ${v.message}`), ...advice.map((w) => `warning ${w.where}: ${w.message}`), ...(entry.scenario_rule ? [`scenario: ${entry.scenario_rule}`] : [])].join('\n'))}">${contract}${scenario}</td></tr>`);
  }
  $('journal').tBodies[0].innerHTML = rows.join('') || '<tr><td colspan="6" class="muted">no exchange yet</td></tr>';
  const skipped = state.journalSkipped;
  $('journal-note').textContent = `newest ${rows.length} of the ${state.journal.length} kept`
    + `${skipped ? `; ${skipped} valid ones without warnings went by in bursts (GET /_mock/journal has them all)` : ''}`;
}

function renderScenario() {
  const active = state.scenario;
  const box = $('scenario');
  box.className = 'scenario';
  if (!active) {
    box.innerHTML = '<p class="muted">No scenario in force: the world behaves as described. Load a bundled one from the header.</p>';
    return;
  }
  const rules = active.rules.map((r) => `<tr><td>${esc(r.name)}</td><td>${esc(r.kind)}</td><td>${r.matched}</td><td>${r.fired}</td></tr>`).join('');
  box.innerHTML = `<h2>${esc(active.name)}</h2><p>${esc(active.description || '')}</p>`
    + `<dl><dt>source</dt><dd>${esc(active.source)}</dd><dt>seed</dt><dd>${esc(active.seed)}</dd></dl>`
    + `<table class="grid"><thead><tr><th>rule</th><th>acts on</th><th>matched</th><th>fired</th></tr></thead><tbody>${rules}</tbody></table>`;
}

// -- fetched views --------------------------------------------------------------------------
// One fetch at a time per view; a change during a fetch asks for one more afterwards.
function coalesced(load, minInterval) {
  let running = false;
  let again = false;
  let last = 0;
  const run = async () => {
    if (running) { again = true; return; }
    const wait = minInterval - (performance.now() - last);
    if (wait > 0) { running = true; setTimeout(() => { running = false; run(); }, wait); return; }
    running = true;
    again = false;
    last = performance.now();
    try { await load(); } catch (error) { toast(error.message, true); }
    running = false;
    if (again) run();
  };
  return run;
}

const refreshDevice = coalesced(async () => {
  const id = state.selected;
  if (!id) return;
  const [queue, events] = await Promise.all([api.get(`${devicePath(id)}/queue`), api.get(`${devicePath(id)}/events`)]);
  if (id !== state.selected) return;
  state.detail.queue = queue;
  state.detail.events = events;
  const row = rowOf(id);
  if (row && isLora(row) && row.class === 'B') {
    const [from, to] = timelineRange();
    const query = `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`;
    const slots = await api.get(`ui/${devicePath(id)}/ping-slots?${query}`);
    state.detail.pingSlots = slots.slots;
  } else {
    state.detail.pingSlots = [];
  }
  invalidate('device');
}, 0);

const refreshOutbound = coalesced(async () => {
  if (state.view !== 'outbound') return;
  const attempts = (await api.get('outbound')).slice(-OUTBOUND_ROWS).reverse();
  const stats = await api.get('outbound/stats');
  $('outbound-summary').textContent = `${stats.delivered} delivered · ${stats.failed} failed · `
    + `${stats.dropped} dropped (queue full) · ${stats.cancelled} cancelled (reset) · `
    + `${stats.queued} queued · ${stats.in_flight} being sent`;
  $('outbound').tBodies[0].innerHTML = attempts.map((a) => {
    const result = a.delivered ? `<span class="ok">${a.status}</span>` : `<span class="bad" title="${esc(a.error || '')}">${esc(a.status || (a.outcome === 'failed' ? a.error : a.outcome) || 'pending')}</span>`;
    const contract = a.violations.length ? a.violations.map((v) => `<span class="rule" title="${esc(v.message)}">${esc(v.rule)}</span>`).join('') : '<span class="ok">valid</span>';
    return `<tr><td>${timeOf(a.at)}</td><td>${esc(a.provider)}</td><td title="${esc(a.kind)}">${esc(a.kind)}</td><td title="${esc(a.device_id)}">${esc(a.device_id)}</td>`
      + `<td><details><summary>${esc(a.method)} ${breakable(a.url)}</summary><pre>${json(a.body)}</pre></details></td><td>${result} <span class="muted">${a.duration_ms} ms</span></td><td>${contract}</td></tr>`;
  }).join('') || '<tr><td colspan="7" class="muted">no message sent to an application yet</td></tr>';
}, SLOW_REFRESH_MS);

const refreshCoverage = coalesced(async () => {
  if (state.view !== 'coverage') return;
  const coverage = await api.get('contract/coverage');
  $('coverage-summary').textContent = `${coverage.operations_exercised} of ${coverage.operations_total} operations exercised`;
  $('coverage').tBodies[0].innerHTML = coverage.operations.map((op) => {
    const statuses = op.documented_statuses.map((s) => `<span class="${op.covered_statuses.includes(s) ? 'cov-hit' : 'cov-miss'}">${esc(s)}</span>`).join(' ');
    const seen = Object.keys(op.seen || {}).map((k) => `${esc(k)}×${esc(op.seen[k])}`).join(' ');
    return `<tr><td>${esc(op.operation)}</td><td>${esc(op.method)} ${breakable(op.path)}</td><td>${statuses}</td><td>${seen}</td></tr>`;
  }).join('');
}, SLOW_REFRESH_MS);

async function openExchange(sequence) {
  state.openExchange = sequence;
  invalidate('journal');
  const box = $('exchange');
  box.hidden = false;
  let entry;
  try {
    entry = await api.get(`ui/journal/${sequence}`);
  } catch (error) {
    box.innerHTML = `<p class="muted">${esc(error.message)}</p>`;
    return;
  }
  if (state.openExchange !== sequence) return;
  const violations = entry.violations.map((v) => `<li><span class="rule">${esc(v.rule)}</span> <strong>${esc(v.direction)}</strong> ${esc(v.where)}: ${esc(v.message)}`
    + `<div class="muted">${esc(v.spec_location)}</div>${v.expected === null || v.expected === undefined ? '' : `<pre>${json(v.expected)}</pre>`}</li>`).join('');
  const advice = entry.warnings || [];
  const nearest = entry.nearest_valid_body === null || entry.nearest_valid_body === undefined
    ? '' : `<h3>Nearest valid body</h3><pre data-role="nearest">${json(entry.nearest_valid_body)}</pre>`;
  box.innerHTML = `<h3>#${entry.sequence} ${esc(entry.request.method)} ${esc(entry.request.path)}${entry.request.query ? `?${esc(entry.request.query)}` : ''}</h3>`
    + `<p class="muted">${timeOf(entry.at)} · ${esc(entry.provider || 'no provider')} · ${esc(entry.operation || 'no operation')}${entry.scenario_rule ? ` · scenario rule ${esc(entry.scenario_rule)}` : ''}</p>`
    + (entry.valid ? (advice.length ? '' : '<p class="ok">The exchange kept to its API description.</p>') : `<h3>Broken rules</h3><ul>${violations}</ul>`)
    + warningList(advice)
    + nearest
    + `<h3>Request</h3><details><summary>headers</summary><pre>${json(entry.request.headers)}</pre></details><pre>${json(entry.request.body === null ? '(no body)' : entry.request.body)}</pre>`
    + `<h3>Response ${entry.response.status || '(no answer)'}</h3><details><summary>headers</summary><pre>${json(entry.response.headers)}</pre></details><pre>${json(entry.response.body === null ? '(no body)' : entry.response.body)}</pre>`;
  box.scrollIntoView({ block: 'nearest' }); // under the list when the view is narrow
}

// Each contract warning of an exchange with what the client likely meant: the vendor
// answered as if all was well, so this is the only place the page can say it was not.
function warningList(advice) {
  if (!advice.length) return '';
  const items = advice.map((w) => `<li><span class="warn">${esc(w.rule)}</span> ${esc(w.where)}: ${esc(w.message)}`
    + `${w.suggestion ? `<div data-role="suggestion">suggestion: <code>${esc(w.suggestion)}</code></div>` : ''}</li>`).join('');
  return `<h3 class="warn-head">Warnings: the vendor accepted the request but ignores part of it</h3><ul data-role="warnings">${items}</ul>`;
}

// -- the stream -----------------------------------------------------------------------------
let source = null;

function setLive(status, text) {
  const live = $('live');
  live.className = `live ${status}`;
  live.textContent = text || status;
}

function connect() {
  if (source) source.close();
  source = api.stream();
  setLive('connecting');
  source.addEventListener('open', () => setLive('connected', 'live'));
  source.addEventListener('snapshot', (message) => applySnapshot(JSON.parse(message.data)));
  source.addEventListener('update', (message) => applyUpdate(JSON.parse(message.data)));
  source.addEventListener('gone', (message) => {
    const gone = JSON.parse(message.data);
    toast(`tenant ${gone.tenant} was dropped: back to the home simulator`, true);
    switchTenant(null);
  });
  source.onerror = () => {
    if (source.readyState === Feed.CLOSED) setLive('stopped', 'disconnected');
    else setLive('connecting', 'reconnecting');
  };
}

function applySnapshot(data) {
  state.tenants = data.tenants;
  state.world = data.world;
  state.clock = data.clock;
  state.devices = new Map(data.devices.map((row) => [row.id, row]));
  state.devicesTotal = data.devices_total;
  state.devicesLimit = data.devices_limit || Infinity;
  state.journal = data.journal.slice().reverse();
  state.journalSkipped = data.journal_skipped;
  state.outboundCount = data.outbound.count;
  state.scenario = data.scenario;
  if (state.selected && !rowOf(state.selected)) state.selected = null;
  if (serverPaged()) refreshDevicePage();
  if (state.openExchange !== null) { state.openExchange = null; $('exchange').hidden = true; }
  invalidate('header', 'devices', 'device', 'journal', 'scenario', 'outbound', 'coverage');
  refreshDevice();
}

function applyUpdate(data) {
  const parts = ['header'];
  if (data.clock) {
    state.clock = data.clock;
    parts.push('timeline');
  }
  if (data.devices) {
    for (const row of data.devices) state.devices.set(row.id, row);
    parts.push('devices');
    if (data.devices.some((row) => row.id === state.selected)) parts.push('device');
  }
  if (data.removed) {
    for (const id of data.removed) state.devices.delete(id);
    if (data.removed.includes(state.selected)) state.selected = null;
    parts.push('devices', 'device');
  }
  if (data.devices_total !== undefined) {
    state.devicesTotal = data.devices_total;
    parts.push('devices');
    if (serverPaged()) refreshDevicePage();
  }
  if (data.touched && data.touched.includes(state.selected)) refreshDevice();
  if (data.journal_cleared) { state.journal = []; state.journalSkipped = 0; }
  if (data.journal) {
    state.journal = data.journal.slice().reverse().concat(state.journal).slice(0, JOURNAL_ROWS);
    state.journalSkipped += data.journal_skipped || 0;
    parts.push('journal', 'coverage');
  }
  if (data.outbound) {
    state.outboundCount = data.outbound.count;
    parts.push('outbound');
  }
  if ('scenario' in data) {
    state.scenario = data.scenario;
    parts.push('scenario');
  }
  if (data.tenants) state.tenants = data.tenants;
  invalidate(...parts);
}

// -- controls -------------------------------------------------------------------------------
function switchTenant(name) {
  api.tenant = name || null;
  const url = new URL(window.location.href);
  if (api.tenant) url.searchParams.set('tenant', api.tenant);
  else url.searchParams.delete('tenant');
  window.history.replaceState(null, '', url);
  state.selected = null;
  state.detail = { queue: [], events: [], pingSlots: [] };
  connect();
}

function showView(view) {
  state.view = view;
  for (const tab of document.querySelectorAll('.tabs button')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  }
  for (const panel of document.querySelectorAll('.view')) panel.hidden = panel.id !== `view-${view}`;
  invalidate(view === 'device' ? 'device' : view);
}

function selectDevice(id) {
  state.selected = id;
  state.detail = { queue: [], events: [], pingSlots: [] };
  showView('device');
  invalidate('devices', 'device');
  refreshDevice();
}

function wire() {
  for (const tab of document.querySelectorAll('.tabs button')) {
    tab.addEventListener('click', () => showView(tab.dataset.view));
  }
  $('devices').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-device]');
    if (row) selectDevice(row.dataset.device);
  });
  let searching = 0;
  $('device-filter').addEventListener('input', () => {
    state.devicePage.offset = 0;
    if (!serverPaged()) { invalidate('devices'); return; }
    clearTimeout(searching);
    searching = setTimeout(refreshDevicePage, SEARCH_DELAY_MS);
  });
  $('devices-prev').addEventListener('click', () => turnDevicePage(-1));
  $('devices-next').addEventListener('click', () => turnDevicePage(1));
  $('journal').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-sequence]');
    if (row) openExchange(Number(row.dataset.sequence));
  });
  $('journal-violations-only').addEventListener('change', () => invalidate('journal'));
  $('timeline-span').addEventListener('change', () => refreshDevice());
  $('tenant').addEventListener('change', (event) => switchTenant(event.target.value));
  $('tenant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('tenant-name').value.trim();
    if (!name) return;
    const previous = api.tenant;
    api.tenant = name;
    // A tenant is created by its first request; a refused name keeps the current one.
    if (await act(null, () => api.get('health')) === undefined) { api.tenant = previous; return; }
    $('tenant-name').value = '';
    switchTenant(name);
  });
  $('advance-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const seconds = Number($('advance-seconds').value);
    act(null, () => api.post('clock/advance', { seconds }));
  });
  $('run-idle').addEventListener('click', () => act(null, async () => {
    const idle = await api.post('clock/run-until-idle');
    toast(`ran ${idle.fired} timer(s); now ${idle.now}`);
  }));
  $('scenario-load').addEventListener('click', () => {
    const name = $('scenario-choice').value;
    if (!name) { toast('choose a bundled scenario first', true); return; }
    act(`scenario ${name} in force`, () => api.put('scenario', { name }));
  });
  $('scenario-clear').addEventListener('click', () => act('scenario cleared', () => api.del('scenario')));
  const reset = $('reset');
  let armed = 0;
  reset.addEventListener('click', () => {
    if (!armed) {
      reset.classList.add('armed');
      reset.textContent = 'confirm reset';
      armed = setTimeout(() => { armed = 0; reset.classList.remove('armed'); reset.textContent = 'reset'; }, 3000);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    reset.classList.remove('armed');
    reset.textContent = 'reset';
    act('back to the world\'s start', () => api.post('reset'));
  });
  $('uplink-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = state.selected;
    if (!id) return;
    act(null, async () => {
      const body = {
        f_port: Number($('uplink-port').value),
        frm_payload: hexToBase64($('uplink-payload').value),
        confirmed: $('uplink-confirmed').checked,
        ack: $('uplink-ack').checked,
      };
      const uplink = await api.post(`${devicePath(id)}/uplinks`, body);
      toast(`uplink FCnt ${uplink.f_cnt} received at ${uplink.received_at}`);
    });
  });
  $('queue-clear').addEventListener('click', () => {
    if (state.selected) act('queue cleared', () => api.del(`${devicePath(state.selected)}/queue`));
  });
}

async function start() {
  wire();
  const tenant = new URL(window.location.href).searchParams.get('tenant');
  api.tenant = tenant || null;
  if (api.tenant) await act(null, () => api.get('health')); // creates the tenant if new
  state.scenarios = (await act(null, () => api.get('ui/scenarios'))) || [];
  connect();
}

start();
