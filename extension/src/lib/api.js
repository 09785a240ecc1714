// The HTTP client for the qtime API (see the OpenAPI document at /openapi.json).
// Never throws: every call resolves to { ok, status, data, error }, where
// status 0 means the server could not be reached.

export const REQUEST_TIMEOUT_MS = 10_000; // well under MV3's 30 s fetch limit

export function createApi({ baseUrl, token = null, fetch: fetchImpl = globalThis.fetch, timeoutMs = REQUEST_TIMEOUT_MS }) {
  const root = String(baseUrl ?? '').replace(/\/+$/, '');

  function headers(auth, json) {
    const out = { Accept: 'application/json' };
    if (json) out['Content-Type'] = 'application/json';
    if (auth && token) out.Authorization = `Bearer ${token}`;
    return out;
  }

  async function request(method, path, body, { auth = true } = {}) {
    try {
      const response = await fetchImpl(root + path, {
        method,
        headers: headers(auth, body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      return { ok: response.ok, status: response.status, data, error: response.ok ? null : detailOf(data, response.status) };
    } catch (error) {
      return { ok: false, status: 0, data: null, error: `server unreachable (${error?.name ?? 'error'})` };
    }
  }

  const device = (deviceName, timezone) => ({ device_name: deviceName, timezone });

  return {
    createPairing: (deviceName, timezone) => request('POST', '/v1/pairings', device(deviceName, timezone), { auth: false }),
    getPairing: (id) => request('GET', `/v1/pairings/${encodeURIComponent(id)}`, undefined, { auth: false }),
    redeemCode: (code, deviceName, timezone) =>
      request('POST', '/v1/pairings/redeem', { code, ...device(deviceName, timezone) }, { auth: false }),
    getSession: () => request('GET', '/v1/session'),
    startSession: (minutes, goal) => request('POST', '/v1/sessions', { minutes, goal }),
    endSession: () => request('POST', '/v1/session/end'),
    postEvents: (events, { titles = false } = {}) =>
      request('POST', '/v1/events', { events: events.map((event) => toWire(event, titles)) }),
    unlink: () => request('DELETE', '/v1/devices/me'),
    /** Opens the SSE stream; the caller reads response.body (see sse.js). */
    openStream: (signal) =>
      fetchImpl(`${root}/v1/stream`, { headers: { ...headers(true, false), Accept: 'text/event-stream' }, signal }),
  };
}

export const TITLE_MAX_CHARS = 500; // the API refuses titles over 2048; a title needs far fewer

/** A page title fit to send: no control characters, trimmed, cut short; null when empty. */
export function cleanTitle(title) {
  if (typeof title !== 'string') return null;
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const text = title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text === '' ? null : text.slice(0, TITLE_MAX_CHARS);
}

/** The wire shape of an event: only the fields the API needs, times in UTC ISO 8601. */
export function toWire(event, titles = false) {
  return {
    id: event.id,
    host: event.host,
    title: titles ? cleanTitle(event.title) : null,
    start: new Date(event.start).toISOString(),
    end: new Date(event.end).toISOString(),
    audible: Boolean(event.audible),
    idle: Boolean(event.idle),
  };
}

/** A short human-readable message from a FastAPI error body. */
export function detailOf(data, status) {
  const detail = data?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail) && detail.length > 0) return detail.map((item) => item?.msg ?? String(item)).join('; ');
  return `HTTP ${status}`;
}
