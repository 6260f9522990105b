// A device's timeline as inline SVG on a time axis: what the device sent, when its receive
// windows and ping slots were open, what the network transmitted (as long as it was on air),
// and how each downlink ended. Pure drawing: the events come from /_mock/devices/{id}/events.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const LABELS = 92;
const LANE = 26;
const AXIS = 26;
const RIGHT = 12;
const LABEL_CHAR = 6.5; // a label's width per character, roughly, at the timeline's 11 px
// Failures a scenario's delivery faults cause (scenario/language.py DELIVERY_FAULTS) and the
// session reset a scenario timeline performs: drawn as scenario faults.
const FAULT_REASONS = new Set(['evicted', 'gateway_failure', 'carrier_failure', 'broker_down', 'session_reset']);
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5,
  6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5];

export function ms(iso) {
  return iso ? Date.parse(iso) : NaN;
}

function two(n) { return String(n).padStart(2, '0'); }

export function clockText(t, withMillis) {
  const d = new Date(t);
  const text = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return withMillis ? `${text}.${String(d.getUTCMilliseconds()).padStart(3, '0')}` : text;
}

function payloadText(event) {
  const d = (event.downlinks || [])[0];
  return d ? ` FPort ${d.f_port} ${d.frm_payload}${d.confirmed ? ' confirmed' : ''}` : '';
}

// A KPN downlink's status as its API shows it, for the status lane.
const STATUS_LABELS = { created: 'PENDING', executing: 'EXECUTING', done: 'DONE', cancelled: 'CANCELLED' };

function statusMark(e, at) {
  const reason = e.last_failure_reason && e.kind !== 'cancelled' ? ` (${e.last_failure_reason})` : '';
  return { lane: 'status', kind: 'status', status: STATUS_LABELS[e.kind], start: at, end: at,
    label: `${STATUS_LABELS[e.kind]}${reason}`,
    title: `${e.bearer || ''} downlink ${e.downlink_id}: ${e.status}${e.last_failure_reason ? `, ${e.last_failure_reason}` : ''} at ${e.at}` };
}

// Status steps at one instant (an MQTT downlink goes PENDING → EXECUTING → DONE at once)
// become one mark, their labels joined, so that they do not overprint each other.
function joinStatuses(out) {
  const joined = [];
  const atInstant = new Map();
  for (const m of out) {
    const first = m.lane === 'status' ? atInstant.get(m.start) : undefined;
    if (first) {
      first.label = `${first.label} → ${m.label}`;
      first.title = `${first.title}\n${m.title}`;
      first.status = m.status;
      continue;
    }
    if (m.lane === 'status') atInstant.set(m.start, m);
    joined.push(m);
  }
  return joined;
}

// The marks to draw, each on a lane between two instants (ms since the epoch).
export function marks(events) {
  const out = [];
  const transmitted = new Set();
  for (const e of events) {
    if ((e.kind === 'sent' || e.kind === 'failed') && e.transmit_at) transmitted.add(e.transmit_at);
  }
  for (const e of events) {
    const at = ms(e.at);
    const air = e.airtime_ms || 0;
    switch (e.kind) {
      case 'uplink':
        out.push({ lane: 'uplink', kind: 'uplink', start: at - air, end: at,
          label: `#${e.f_cnt}`,
          title: `uplink FCnt ${e.f_cnt} FPort ${e.f_port} DR${e.data_rate} ${air} ms on air${e.confirmed ? ', confirmed' : ''}${e.ack ? ', ACK' : ''}` });
        if (e.rx1_at) {
          out.push({ lane: 'rx', kind: 'rx1', start: ms(e.rx1_at), end: ms(e.rx1_at), label: 'RX1', from: at, title: `RX1 opens ${e.rx1_at}` });
          out.push({ lane: 'rx', kind: 'rx2', start: ms(e.rx2_at), end: ms(e.rx2_at), label: 'RX2', title: `RX2 opens ${e.rx2_at}` });
        }
        break;
      case 'uplink_lost':
        out.push({ lane: 'uplink', kind: 'uplink_lost', start: at, end: at, label: 'lost',
          title: `uplink FCnt ${e.f_cnt} lost (scenario: ${e.reason})` });
        break;
      case 'scheduled':
        if (!transmitted.has(e.transmit_at)) {
          const start = ms(e.transmit_at);
          out.push({ lane: 'downlink', kind: 'scheduled', start, end: start + air, label: e.window,
            title: `scheduled in ${e.window} at ${e.transmit_at}, DR${e.data_rate}, ${air} ms on air;${payloadText(e)}` });
        }
        out.push({ lane: 'queue', kind: 'other', start: at, end: at,
          title: `decided at ${e.at}: ${e.window} at ${e.transmit_at}` });
        break;
      case 'sent': {
        if (e.via) { // another bearer than radio: handed to the broker or the carrier
          out.push({ lane: 'downlink', kind: 'sent', start: at, end: at, label: e.attempt > 1 ? `${e.via} #${e.attempt}` : e.via,
            title: `${e.bearer} downlink ${e.downlink_id} handed to the ${e.via}${e.attempt ? `, attempt ${e.attempt}` : ''}${e.topic ? `, topic ${e.topic}` : ''}` });
          break;
        }
        const start = ms(e.transmit_at || e.at);
        out.push({ lane: 'downlink', kind: 'sent', start, end: start + air, label: e.window,
          title: `sent in ${e.window} at ${e.transmit_at}, DR${e.data_rate} ${e.frequency} Hz, ${air} ms on air${e.f_pending ? ', FPending' : ''};${payloadText(e)}` });
        break;
      }
      case 'failed': {
        const fault = FAULT_REASONS.has(e.reason) || FAULT_REASONS.has(e.fault);
        if (e.transmit_at) {
          const start = ms(e.transmit_at);
          out.push({ lane: 'downlink', kind: 'failed', start, end: start + air, label: e.window,
            title: `not transmitted in ${e.window}: ${e.reason};${payloadText(e)}` });
        }
        out.push({ lane: 'outcome', kind: fault ? 'fault' : 'failed', start: at, end: at, label: e.reason,
          title: `failed: ${e.reason}${fault ? ` (scenario fault${e.fault ? `: ${e.fault}` : ''})` : ''}${e.will_retry ? ', retried' : ''};${payloadText(e)}` });
        break;
      }
      case 'delivered':
        out.push({ lane: 'outcome', kind: 'delivered', start: at, end: at, label: 'delivered',
          title: `${e.bearer} downlink ${e.downlink_id} delivered` });
        break;
      case 'delivered-in-response':
        out.push({ lane: 'downlink', kind: 'sent', start: at, end: at, label: 'response',
          title: `carried in the response to the device's request: ${JSON.stringify(e.message)}` });
        break;
      case 'created':
      case 'executing':
      case 'done':
      case 'cancelled':
        out.push(statusMark(e, at));
        break;
      case 'acked':
      case 'nacked':
        out.push({ lane: 'outcome', kind: e.kind, start: at, end: at, label: e.kind === 'acked' ? 'ack' : 'nack',
          title: `${e.kind};${payloadText(e)}` });
        break;
      case 'queued':
        out.push({ lane: 'queue', kind: 'queued', start: at, end: at,
          title: `queued (${e.operation}) ${e.downlinks.length} downlink(s)` });
        break;
      case 'invalidated':
        out.push({ lane: 'outcome', kind: 'fault', start: at, end: at, label: e.reason,
          title: `${e.downlinks.length} downlink(s) invalidated: ${e.reason} (scenario)` });
        break;
      default:
        out.push({ lane: 'queue', kind: 'other', start: at, end: at, title: `${e.kind}${payloadText(e)}` });
    }
  }
  return joinStatuses(out.filter((m) => Number.isFinite(m.start) && Number.isFinite(m.end)));
}

// The instants shown: everything recent (fit), or a fixed span ending at the latest of now
// and the last mark.
export function range(allMarks, now, span) {
  let last = now;
  let first = now;
  for (const m of allMarks) {
    if (m.end > last) last = m.end;
    if (m.start < first) first = m.start;
  }
  if (span !== 'fit') {
    const end = last + 0.02 * Number(span) * 1000;
    return [end - Number(span) * 1000, end];
  }
  const width = Math.max(last - first, 1000);
  return [first - 0.04 * width, first + width * 1.04];
}

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const key of Object.keys(attributes)) node.setAttribute(key, attributes[key]);
  if (parent) parent.appendChild(node);
  return node;
}

function titled(node, text) {
  element('title', {}, node).textContent = text;
  return node;
}

// `bearer`: the name of a device's bearer other than radio (MQTT, SMS, HTTP): its timeline
// has no receive windows, and its downlink lane is named after the bearer.
export function draw(container, { events, pingSlots, now, span, classB, bearer }) {
  const all = marks(events);
  const [from, to] = range(all, now, span);
  for (const slot of pingSlots || []) {
    const at = ms(slot);
    all.push({ lane: 'ping', kind: 'ping-slot', start: at, end: at + 30, title: `ping slot ${slot}` });
  }
  const lanes = bearer ? [['uplink', bearer === 'HTTP' ? 'requests' : 'uplink']] : [['uplink', 'uplink'], ['rx', 'RX windows']];
  if (classB) lanes.push(['ping', 'ping slots']);
  lanes.push(['downlink', bearer || 'downlink'], ['outcome', 'outcome']);
  if (bearer || all.some((m) => m.lane === 'status')) lanes.push(['status', 'KPN status']);
  lanes.push(['queue', 'queue']);
  const laneY = new Map(lanes.map(([key], i) => [key, 6 + i * LANE]));
  const height = 6 + lanes.length * LANE + AXIS;
  const plot = WIDTH - LABELS - RIGHT;
  const x = (t) => LABELS + ((t - from) / (to - from)) * plot;

  const svg = element('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img',
    'aria-label': 'device timeline', 'data-from': new Date(from).toISOString(), 'data-to': new Date(to).toISOString() });
  const axis = element('g', { class: 'axis' }, svg);
  lanes.forEach(([key, label]) => {
    const y = laneY.get(key);
    element('line', { x1: LABELS, x2: WIDTH - RIGHT, y1: y + LANE - 3, y2: y + LANE - 3 }, axis);
    element('text', { x: 4, y: y + 15, class: 'lane-label' }, svg).textContent = label;
  });
  const step = STEPS.find((s) => (to - from) / s <= 9) || STEPS[STEPS.length - 1];
  const axisY = 6 + lanes.length * LANE;
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    element('line', { x1: x(t), x2: x(t), y1: 4, y2: axisY }, axis);
    element('text', { x: x(t), y: axisY + 16, 'text-anchor': 'middle' }, svg).textContent = clockText(t, step < 1000);
  }
  if (now >= from && now <= to) {
    titled(element('line', { class: 'now', x1: x(now), x2: x(now), y1: 2, y2: axisY }, svg), `now ${new Date(now).toISOString()}`);
  }

  const layer = element('g', {}, svg);
  let statusLabel = null; // the status lane's last label, which a later one may shorten
  for (const m of all) {
    if (m.end < from || m.start > to) continue;
    const y = laneY.get(m.lane);
    if (y === undefined) continue;
    const left = Math.max(x(m.start), LABELS);
    const right = Math.min(x(m.end), WIDTH - RIGHT);
    const point = m.end === m.start;
    let node;
    if (point && (m.lane === 'outcome' || m.lane === 'queue' || m.lane === 'status' || m.kind === 'uplink_lost')) {
      node = element('circle', { cx: left, cy: y + 11, r: m.lane === 'queue' ? 3 : 5 }, layer);
    } else {
      const width = Math.max(right - left, point ? 2 : 3);
      node = element('rect', { x: left, y: y + 3, width, height: 16, rx: 1 }, layer);
    }
    node.setAttribute('data-kind', m.kind);
    if (m.status) node.setAttribute('data-status', m.status);
    titled(node, m.title);
    if (m.from !== undefined && m.from >= from) {
      element('line', { class: 'link', x1: x(m.from), x2: left, y1: y - 4, y2: y + 6 }, layer);
    }
    if (m.label && m.lane !== 'queue') {
      const after = left + (point ? 7 : Math.max(right - left, 3) + 3);
      // A label that would run past the right edge is written before its mark instead.
      const fits = after + m.label.length * LABEL_CHAR <= WIDTH;
      const where = fits ? { x: after } : { x: left - (point ? 7 : 3), 'text-anchor': 'end' };
      const text = element('text', Object.assign(where, { y: y + 15 }), layer);
      text.textContent = m.label;
      if (m.lane === 'status') {
        // Statuses moments apart (LoRa: PENDING, then EXECUTING 200 ms on) would overprint:
        // the earlier label gives way to the later one, whole in its mark's tooltip.
        const before = statusLabel;
        if (before && fits && before.end > left) {
          const room = Math.floor((left - before.x - 4) / LABEL_CHAR);
          if (room >= 2) before.node.textContent = `${before.label.slice(0, room - 1)}…`;
          else before.node.remove();
        }
        statusLabel = fits ? { node: text, label: m.label, x: after, end: after + m.label.length * LABEL_CHAR } : null;
      }
    }
  }
  container.replaceChildren(svg);
  return [from, to];
}
