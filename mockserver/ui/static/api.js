// The admin API as the page calls it: every call carries the chosen tenant's header and the
// server's admin token (when it has one), and a refused call becomes an ApiError holding the
// admin API's own message.

// The admin API lives one level above the page (/_mock/ui/ -> /_mock/), wherever that is.
const ADMIN = new URL('..', window.location.href);
const TOKEN_HEADER = 'X-Mockserver-Admin-Token';
const TOKEN_KEY = 'mockserver-admin-token';

// The admin token (serve --admin-token) is given once in the page's address, after a `#`
// (/_mock/ui/#token=...): a fragment never reaches a server, a log or a Referer. The page
// takes it out of the address and keeps it in this tab's sessionStorage, gone with the tab.
function takeToken() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    fragment.delete('token');
    const url = new URL(window.location.href);
    url.hash = fragment.toString();
    window.history.replaceState(null, '', url);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  constructor() {
    this.tenant = null;
    this.token = takeToken();
  }

  headers(extra) {
    const headers = Object.assign({}, extra || {});
    if (this.tenant) headers['X-Mockserver-Tenant'] = this.tenant;
    if (this.token) headers[TOKEN_HEADER] = this.token;
    return headers;
  }

  // Refused for want of the token (401): ask for it, once per token refused. True when
  // there is a new token to try: one just typed, or one typed meanwhile for another call.
  askToken(refused) {
    if (this.token !== refused) return true;
    const typed = window.prompt('This server needs its admin token (serve --admin-token):');
    if (!typed) return false;
    this.token = typed.trim();
    sessionStorage.setItem(TOKEN_KEY, this.token);
    return true;
  }

  async request(method, path, body) {
    const init = { method, headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const sent = this.token;
    const response = await fetch(new URL(path, ADMIN), init);
    if (response.status === 401 && this.askToken(sent)) return this.request(method, path, body);
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (error) { data = text; }
    }
    if (!response.ok) {
      const message = data && data.error ? data.error : (text || response.statusText);
      throw new ApiError(response.status, `${method} ${path}: ${response.status} ${message}`);
    }
    return data;
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body); }
  put(path, body) { return this.request('PUT', path, body); }
  del(path) { return this.request('DELETE', path); }

  // The live feed. It names its tenant in the query (as the stream route reads it), and
  // is read with fetch rather than EventSource, which cannot send the token's header.
  stream() {
    const url = new URL('ui/stream', ADMIN);
    if (this.tenant) url.searchParams.set('tenant', this.tenant);
    return new Feed(url, this);
  }
}

// Server-sent events over fetch, with the part of EventSource the page uses: named events,
// `open`, `onerror`, `readyState`, and reconnection after the server's `retry:` (a refused
// stream, 4xx, is closed for good, as EventSource does).
export class Feed {
  constructor(url, api) {
    this.url = url;
    this.api = api;
    this.readyState = Feed.CONNECTING;
    this.retryMs = 1000;
    this.listeners = {};
    this.onerror = null;
    this.controller = null;
    this.timer = 0;
    this.connect();
  }

  addEventListener(kind, listener) {
    (this.listeners[kind] = this.listeners[kind] || []).push(listener);
  }

  close() {
    this.readyState = Feed.CLOSED;
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
  }

  emit(kind, data) {
    for (const listener of this.listeners[kind] || []) listener({ type: kind, data });
  }

  failed(forGood) {
    if (this.readyState === Feed.CLOSED) return;
    this.readyState = forGood ? Feed.CLOSED : Feed.CONNECTING;
    if (this.onerror) this.onerror();
    if (!forGood) this.timer = setTimeout(() => this.connect(), this.retryMs);
  }

  async connect() {
    if (this.readyState === Feed.CLOSED) return;
    this.controller = new AbortController();
    const sent = this.api.token;
    let response;
    try {
      // The home serves every tenant's stream (it lists them): the token, no tenant header.
      const headers = { Accept: 'text/event-stream' };
      if (this.api.token) headers[TOKEN_HEADER] = this.api.token;
      response = await fetch(this.url, {
        headers,
        cache: 'no-store',
        signal: this.controller.signal,
      });
    } catch (error) {
      this.failed(false);
      return;
    }
    if (response.status === 401 && this.api.askToken(sent)) { this.connect(); return; }
    if (!response.ok) { this.failed(true); return; }
    this.readyState = Feed.OPEN;
    this.emit('open', '');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      // closed by the page, or the connection was cut: reconnect below unless closed
    }
    this.failed(false);
  }

  dispatch(block) {
    let kind = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') kind = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (data.length) this.emit(kind, data.join('\n'));
  }
}

Feed.CONNECTING = 0;
Feed.OPEN = 1;
Feed.CLOSED = 2;

export function device(id) {
  return `devices/${encodeURIComponent(id)}`;
}
