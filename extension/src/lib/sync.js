// @ts-check
// Sending the queue: batches of at most 100, with the server's answers mapped
// to what happens to the events, and the retry schedule between flushes.

import { backoffDelay } from './backoff.js';

/** @import { ApiResponse, FlushResult, QueuedEvent, SyncState, SyncStatus, TrackedEvent } from './types.js' */
/** @import { Serial } from './serial.js' */

export const BATCH_SIZE = 100;
// One flush sends at most this many batches, so a worker never runs into
// MV3's five-minute limit for one event; the next alarm sends the rest.
export const MAX_BATCHES = 50;

/**
 * Sends queued events until the queue is empty or the server says stop.
 *  202 → the batch leaves the queue (rejected events too: they never become valid);
 *  413 / 422 → the batch is split in halves; a single event refused this way is dropped;
 *  401 / 403 → stop: the token is no longer valid;
 *  anything else (network, 5xx, 429, ...) → keep everything and retry later.
 * `send(batch)` resolves to { status, data, error } (status 0 = unreachable).
 * @param {{ queue: { take(n: number): Promise<TrackedEvent[]>, remove(ids: string[]): Promise<unknown> },
 *   send: (batch: TrackedEvent[]) => Promise<ApiResponse>, serial?: Serial, batchSize?: number, maxBatches?: number }} options
 * @returns {Promise<FlushResult>}
 */
export async function flushQueue({ queue, send, serial = async (task) => task(), batchSize = BATCH_SIZE, maxBatches = MAX_BATCHES }) {
  /** @type {FlushResult} */
  const result = { outcome: 'ok', sent: 0, accepted: 0, duplicates: 0, rejected: 0, status: null, error: null };
  let size = batchSize;
  for (let round = 0; round < maxBatches; round += 1) {
    const batch = await serial(() => queue.take(size));
    if (batch.length === 0) return result;
    const response = await send(batch);
    result.status = response.status;
    if (response.status === 202 || response.status === 200) {
      await serial(() => queue.remove(batch.map((event) => event.id)));
      result.sent += batch.length;
      result.accepted += Number(response.data?.accepted ?? 0);
      result.duplicates += Number(response.data?.duplicates ?? 0);
      result.rejected += Array.isArray(response.data?.rejected) ? response.data.rejected.length : 0;
      size = batchSize;
    } else if (response.status === 413 || response.status === 422) {
      if (batch.length > 1) {
        size = Math.ceil(batch.length / 2);
      } else {
        await serial(() => queue.remove(batch.map((event) => event.id))); // the one event
        result.rejected += 1;
      }
    } else {
      const unauthorized = response.status === 401 || response.status === 403;
      return { ...result, outcome: unauthorized ? 'unauthorized' : 'retry', error: response.error ?? null };
    }
  }
  return result;
}

/**
 * status: 'unpaired' (no token) | 'ok' | 'offline' | 'error' | 'unlinked' (token refused)
 * @returns {SyncState}
 */
export function initialSyncState() {
  return { status: 'unpaired', attempt: 0, nextAt: 0, failedWith: null, lastSyncAt: null, lastContactAt: null, lastError: null };
}

/**
 * The sync record after a flush: back off after failures, reset on success.
 * @param {Partial<SyncState> | null | undefined} prev
 * @param {FlushResult} result
 * @param {number} now
 * @param {{ random?: () => number }} [options]
 * @returns {SyncState}
 */
export function afterFlush(prev, result, now, { random = Math.random } = {}) {
  const state = { ...initialSyncState(), ...prev };
  if (result.outcome === 'ok') {
    const lastSyncAt = result.sent > 0 ? now : state.lastSyncAt;
    return { ...state, status: 'ok', attempt: 0, nextAt: 0, failedWith: null, lastError: null, lastSyncAt, lastContactAt: now };
  }
  if (result.outcome === 'unauthorized') return afterUnauthorized(state, result.error);
  const attempt = state.attempt + 1;
  const nextAt = now + backoffDelay(attempt, { random });
  const failedWith = result.status ?? 0;
  return { ...state, status: statusOf(failedWith), attempt, nextAt, failedWith, lastError: result.error ?? null };
}

/**
 * The sync record after another request (the session poll). A success after
 * a network failure means we are back online: the back-off is lifted so the
 * queue goes out now. After a server error (5xx, 429) the back-off stays.
 * @param {Partial<SyncState> | null | undefined} prev
 * @param {ApiResponse} response
 * @param {number} now
 * @returns {SyncState}
 */
export function afterContact(prev, response, now) {
  const state = { ...initialSyncState(), ...prev };
  if (response.status === 401 || response.status === 403) return afterUnauthorized(state, response.error);
  if (!response.ok) return { ...state, status: statusOf(response.status), lastError: response.error ?? null };
  const backOnline = state.failedWith === 0;
  return {
    ...state,
    status: backOnline || state.failedWith === null ? 'ok' : statusOf(state.failedWith),
    lastContactAt: now,
    lastError: null,
    ...(backOnline ? { attempt: 0, nextAt: 0, failedWith: null } : {}),
  };
}

/**
 * 'offline' when the server was unreachable, 'error' when it answered with a failure.
 * @param {number} httpStatus
 * @returns {SyncStatus}
 */
function statusOf(httpStatus) {
  return httpStatus === 0 ? 'offline' : 'error';
}

/**
 * @param {Partial<SyncState> | null | undefined} prev
 * @param {string | null} [error]
 * @returns {SyncState}
 */
export function afterUnauthorized(prev, error = null) {
  return { ...initialSyncState(), ...prev, status: 'unlinked', attempt: 0, nextAt: 0, failedWith: null, lastError: error };
}

/**
 * True while a failed flush's back-off has not run out.
 * @param {Partial<SyncState> | null | undefined} sync
 * @param {number} now
 */
export function inBackoff(sync, now) {
  return Boolean(sync && sync.nextAt && now < sync.nextAt);
}
