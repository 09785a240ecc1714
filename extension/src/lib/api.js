// @ts-check
// The HTTP client for the qtime API (see the OpenAPI document at /openapi.json).
// Never throws: every call resolves to { ok, status, data, error }, where
// status 0 means the server could not be reached.

export const REQUEST_TIMEOUT_MS = 10_000; // well under MV3's 30 s fetch limit

/** @import { ApiResponse, TrackedEvent } from './types.js' */

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * @param {{ baseUrl: string | null | undefined, token?: string | null, fetch?: typeof globalThis.fetch,
 *   timeoutMs?: number }} options
 */
export function createApi({ baseUrl, token = null, fetch: fetchImpl = globalThis.fetch, timeoutMs = REQUEST_TIMEOUT_MS }) {
  const root = String(baseUrl ?? '').replace(/\/+$/, '');

  /**
   * @param {boolean} auth
   * @param {boolean} json
   */
  function headers(auth, json) {
    /** @type {Record<string, string>} */
    const out = { Accept: 'application/json' };
    if (json) out['Content-Type'] = 'application/json';
    if (auth && token) out.Authorization = `Bearer ${token}`;
    return out;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {{ auth?: boolean }} [options]
   * @returns {Promise<ApiResponse>}
   */
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
      const name = /** @type {{ name?: string } | null | undefined} */ (error)?.name ?? 'error';
      return { ok: false, status: 0, data: null, error: `server unreachable (${name})` };
    }
  }

  /**
   * @param {string} deviceName
   * @param {string} timezone
   */
  const device = (deviceName, timezone) => ({ device_name: deviceName, timezone });

  return {
    /** @type {(deviceName: string, timezone: string) => Promise<ApiResponse>} */
    createPairing: (deviceName, timezone) => request('POST', '/v1/pairings', device(deviceName, timezone), { auth: false }),
    /** @type {(id: string) => Promise<ApiResponse>} */
    getPairing: (id) => request('GET', `/v1/pairings/${encodeURIComponent(id)}`, undefined, { auth: false }),
    /** @type {(code: string, deviceName: string, timezone: string) => Promise<ApiResponse>} */
    redeemCode: (code, deviceName, timezone) =>
      request('POST', '/v1/pairings/redeem', { code, ...device(deviceName, timezone) }, { auth: false }),
    getSession: () => request('GET', '/v1/session'),
    /** @type {(minutes: number, goal: string) => Promise<ApiResponse>} */
    startSession: (minutes, goal) => request('POST', '/v1/sessions', { minutes, goal }),
    endSession: () => request('POST', '/v1/session/end'),
    /** @type {(events: TrackedEvent[], options?: { titles?: boolean }) => Promise<ApiResponse>} */
    postEvents: (events, { titles = false } = {}) =>
      request('POST', '/v1/events', { events: events.map((event) => toWire(event, titles)) }),
    unlink: () => request('DELETE', '/v1/devices/me'),
    /**
     * Opens the SSE stream; the caller reads response.body (see sse.js).
     * @type {(signal: AbortSignal) => Promise<Response>}
     */
    openStream: (signal) =>
      fetchImpl(`${root}/v1/stream`, { headers: { ...headers(true, false), Accept: 'text/event-stream' }, signal }),
  };
}

export const TITLE_MAX_CHARS = 500; // the API refuses titles over 2048; a title needs far fewer

/**
 * A page title fit to send: no control characters, trimmed, cut short; null when empty.
 * @param {unknown} title
 */
export function cleanTitle(title) {
  if (typeof title !== 'string') return null;
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const text = title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text === '' ? null : text.slice(0, TITLE_MAX_CHARS);
}

/**
 * The wire shape of an event: only the fields the API needs, times in UTC ISO 8601.
 * @param {TrackedEvent} event
 */
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

/**
 * A short human-readable message from a FastAPI error body.
 * @param {any} data the parsed JSON body, or null
 * @param {number} status
 * @returns {string}
 */
export function detailOf(data, status) {
  const detail = data?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail) && detail.length > 0) return detail.map((item) => item?.msg ?? String(item)).join('; ');
  return `HTTP ${status}`;
}
