// @ts-check
// The link to the server: session state (poll, start, end), a refused token,
// and unlinking this browser.

import { clockSkew, sessionSignal, sessionView } from './session.js';
import { afterContact, afterUnauthorized, initialSyncState } from './sync.js';

/** @import { ApiResponse, EngineBase, SessionBody, SessionSignal, StoredValues } from './types.js' */
/** @import { Api } from './api.js' */
/** @import { Recorder } from './recorder.js' */

const SKEW_NOISE_MS = 1000; // below this, a measured skew is request latency, not a wrong clock
export const NOT_LINKED = 'This browser is not linked yet: open the options to link it.';

/**
 * @param {EngineBase} base
 * @param {Recorder} recorder
 */
export function createLink(base, recorder) {
  const { storage, serial, queue, load, apiFor, updateSync, now, setTimer, clearTimer } = base;
  /** @type {number | null} */
  let endTimer = null;

  /**
   * Stores the server's session state and tells the tracker. `timing` measures clock skew.
   * @param {SessionBody | null} body
   * @param {{ sentAt: number, receivedAt: number } | null} [timing]
   */
  async function applySession(body, timing = null) {
    await serial(async () => {
      /** @type {StoredValues} */
      const update = { session: body ? sessionView(body) : null };
      if (timing && body?.server_time) {
        const skew = clockSkew(body.server_time, timing.sentAt, timing.receivedAt);
        update.clockSkewMs = Math.abs(skew) < SKEW_NOISE_MS ? 0 : skew;
      }
      await storage.set(update);
    });
    /** @type {SessionSignal} */
    const sig = body ? sessionSignal(body) : { type: 'session', active: false };
    const closed = await recorder.signal(sig);
    await scheduleSessionEnd(sig);
    return closed;
  }

  // While the worker lives, close the open event right at the session end
  // rather than at the next alarm (it is clipped to the end either way).
  /** @param {SessionSignal} sig */
  async function scheduleSessionEnd(sig) {
    if (endTimer !== null) clearTimer(endTimer);
    endTimer = null;
    if (!sig.active) return;
    const { serverNow } = await load();
    const delay = sig.end - serverNow + 50;
    if (delay > 0 && delay < 2 ** 31 - 1) endTimer = setTimer(() => recorder.signal({ type: 'tick' }), delay);
  }

  /**
   * The server refused the token: forget it (unless it was replaced meanwhile) and stop.
   * @param {string} token
   */
  async function forgetToken(token) {
    await serial(async () => {
      const values = await storage.get(['token']);
      if (values.token === token) await storage.remove(['token', 'tokenServerUrl', 'deviceId']);
    });
    await updateSync((sync) => afterUnauthorized(sync, sync.lastError));
    await applySession(null);
  }

  /**
   * Calls one session endpoint and applies the session state it answers with.
   * @param {(api: Api) => Promise<ApiResponse>} call
   * @returns {Promise<ApiResponse>}
   */
  async function sessionCall(call) {
    const { settings, sync: before } = await load();
    const token = settings.token;
    if (!token) {
      await updateSync((sync) => (sync.status === 'unlinked' ? sync : { ...sync, status: 'unpaired' }));
      await applySession(null);
      return { ok: false, status: 0, data: null, error: NOT_LINKED };
    }
    const sentAt = now();
    const response = await call(apiFor(settings));
    const receivedAt = now();
    await updateSync((sync) => afterContact(sync, response, receivedAt));
    if (response.status === 401 || response.status === 403) {
      await forgetToken(token);
    } else if (response.ok && response.data) {
      await applySession(response.data, { sentAt, receivedAt });
      // Back online after a network failure: send the queue now, not after the back-off.
      if (before.failedWith === 0) recorder.flush().catch(() => {});
    }
    return response;
  }

  /** Sends what is queued, revokes this device and forgets its token and queue. */
  async function unlink() {
    const { settings } = await load();
    /** @type {ApiResponse} */
    let response = { ok: true, status: 204, data: null, error: null };
    if (settings.token) {
      await recorder.flush({ force: true });
      response = await apiFor(settings).unlink();
    }
    await dropLink();
    return response;
  }

  /**
   * A new server address. The token and the queue belong to the old server: they
   * are dropped before the address changes, and the old server alone is asked to
   * revoke the token (best effort; it is forgotten here either way).
   * @param {string} serverUrl
   */
  async function changeServer(serverUrl) {
    const { settings } = await load();
    if (serverUrl === settings.serverUrl) return { ok: true, unlinked: false };
    const oldServer = settings.token ? apiFor(settings) : null;
    await dropLink({ serverUrl });
    if (oldServer) oldServer.unlink().catch(() => {});
    return { ok: true, unlinked: Boolean(oldServer) };
  }

  /** A token stored for another address than the current one (e.g. set directly) is dropped. */
  async function dropForeignToken() {
    const values = await storage.get(['token']);
    const { settings } = await load();
    if (values.token && !settings.token) await dropLink();
  }

  /**
   * Forgets the token, the pending pairing, the queue and the session; `extra` lands in the same write.
   * @param {StoredValues} [extra]
   */
  async function dropLink(extra = {}) {
    await applySession(null); // closes the open event first, so the queue cleared below holds it too
    await serial(async () => {
      await storage.remove(['token', 'tokenServerUrl', 'deviceId', 'pairing']);
      await queue.clear();
      await storage.set({ ...extra, sync: initialSyncState() });
    });
  }

  recorder.setUnauthorizedHandler(forgetToken);
  return {
    applySession,
    unlink,
    changeServer,
    dropForeignToken,
    pollSession: () => sessionCall((api) => api.getSession()),
    /** @type {(minutes: number, goal: string) => Promise<ApiResponse>} */
    startSession: (minutes, goal) => sessionCall((api) => api.startSession(minutes, goal)),
    endSession: () => sessionCall((api) => api.endSession()),
  };
}
