// The admin API as the page calls it: every call carries the chosen tenant's header, and a
// refused call becomes an ApiError holding the admin API's own message.

// The admin API lives one level above the page (/_mock/ui/ -> /_mock/), wherever that is.
const ADMIN = new URL('..', window.location.href);

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  constructor() {
    this.tenant = null;
  }

  headers(extra) {
    const headers = Object.assign({}, extra || {});
    if (this.tenant) headers['X-Mockserver-Tenant'] = this.tenant;
    return headers;
  }

  async request(method, path, body) {
    const init = { method, headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(new URL(path, ADMIN), init);
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

  // The live feed; EventSource sends no custom headers, so the tenant goes in the query.
  stream() {
    const url = new URL('ui/stream', ADMIN);
    if (this.tenant) url.searchParams.set('tenant', this.tenant);
    return new EventSource(url);
  }
}

export function device(id) {
  return `devices/${encodeURIComponent(id)}`;
}
