// @ts-check
// The server's session state, turned into what the tracker needs.

/** @import { SessionBody, SessionSignal, SessionView } from './types.js' */

/**
 * Parses an ISO 8601 time to epoch ms; a time without a zone is taken as UTC.
 * @param {unknown} text
 * @returns {number | null}
 */
export function parseIso(text) {
  if (typeof text !== 'string' || text === '') return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The server's clock minus ours, estimated from one request: the server
 * stamped server_time somewhere between sending and receiving.
 * @param {string} serverTime
 * @param {number} sentAt
 * @param {number} receivedAt
 */
export function clockSkew(serverTime, sentAt, receivedAt) {
  const server = parseIso(serverTime);
  if (server === null) return 0;
  return Math.round(server - (sentAt + receivedAt) / 2);
}

/**
 * A GET /v1/session body → the tracker's session signal (times in server ms).
 * @param {SessionBody | null | undefined} body
 * @returns {SessionSignal}
 */
export function sessionSignal(body) {
  const start = parseIso(body?.started_at);
  const end = parseIso(body?.ends_at);
  if (!body?.active || start === null || end === null) return { type: 'session', active: false };
  return { type: 'session', active: true, id: body.id ?? null, start, end };
}

/**
 * A compact copy of the session body for storage and the popup.
 * @param {SessionBody | null | undefined} body
 * @returns {SessionView}
 */
export function sessionView(body) {
  return {
    active: Boolean(body?.active),
    id: body?.id ?? null,
    goal: typeof body?.goal === 'string' ? body.goal : null,
    startedAt: parseIso(body?.started_at),
    endsAt: parseIso(body?.ends_at),
    trackTitles: Boolean(body?.track_titles),
    excludedHosts: Array.isArray(body?.excluded_hosts) ? body.excluded_hosts.filter((h) => typeof h === 'string') : [],
  };
}

/**
 * "1:05:09" or "4:02" for a duration in ms (never negative).
 * @param {number} ms
 */
export function formatDuration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
