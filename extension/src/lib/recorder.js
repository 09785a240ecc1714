// @ts-check
// Recording and sending: tracker signals become queued events, and the queue
// goes to the server (debounced after each event, forced or on the alarm).

import { afterFlush, flushQueue, inBackoff } from './sync.js';
import { trackingConfig } from './settings.js';
import { joinState, splitState, step } from './tracker.js';

/** @import { EngineBase, FlushResult, Signal, TrackedEvent } from './types.js' */

const VIEW_KEY = 'trackerView'; // the tracker's memory-only part (tracker.js splitState)

export const FLUSH_DELAY_MS = 2000;

/** @typedef {ReturnType<typeof createRecorder>} Recorder */
/** @typedef {FlushResult | { outcome: 'unpaired' | 'backoff' }} FlushOutcome */

/**
 * `base` comes from engine.js: storage, serial, queue, load, apiFor, updateSync, clocks and timers.
 * @param {EngineBase} base
 */
export function createRecorder(base) {
  const { storage, memory, serial, queue, load, apiFor, updateSync, now, random, newId, staleMs, setTimer } = base;
  /** @type {number | null} */
  let flushTimer = null;
  /** @type {Promise<FlushOutcome> | null} */
  let flushing = null;
  let flushAgain = false;
  /** @type {(token: string) => Promise<void>} */
  let onUnauthorized = async () => {};

  /**
   * Feeds one signal to the tracker; closed events join the queue in the same write.
   * `sig` may be a function that reads Chrome's state and resolves to a signal (or
   * null): it runs in turn, so signals apply in the order they were fired, each at
   * the time it was fired.
   * @param {Signal | (() => Promise<Signal | null>)} sig
   * @returns {Promise<TrackedEvent[]>}
   */
  function signal(sig) {
    const firedAt = now();
    return serial(async () => {
      const resolved = typeof sig === 'function' ? await sig() : sig;
      if (!resolved) return [];
      const { values, settings, session, skew } = await load();
      const view = (await memory.get([VIEW_KEY]))[VIEW_KEY];
      const ctx = { now: firedAt + skew, newId, staleMs, ...trackingConfig(settings, session) };
      const { state, closed } = step(joinState(values.tracker, view), withServerTime(resolved, skew), ctx);
      const { durable, volatile } = splitState(state);
      await memory.set({ [VIEW_KEY]: volatile });
      if (closed.length === 0) {
        await storage.set({ tracker: durable });
        return closed;
      }
      await queue.push(closed, { tracker: durable });
      scheduleFlush();
      return closed;
    });
  }

  /** Forgets the memory-only timeline (the browser is unlinked). */
  const forgetTimeline = () => serial(() => memory.remove([VIEW_KEY]));

  /** @param {number} [delay] */
  function scheduleFlush(delay = FLUSH_DELAY_MS) {
    if (flushTimer !== null) return;
    flushTimer = setTimer(() => {
      flushTimer = null;
      flush().catch(() => {});
    }, delay);
  }

  /**
   * Sends the queue. Concurrent calls share one run; a call during a run asks for one more.
   * @param {{ force?: boolean }} [options]
   * @returns {Promise<FlushOutcome>}
   */
  function flush({ force = false } = {}) {
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = runFlush(force).finally(() => {
      flushing = null;
      if (flushAgain) {
        flushAgain = false;
        flush().catch(() => {});
      }
    });
    return flushing;
  }

  /**
   * @param {boolean} force
   * @returns {Promise<FlushOutcome>}
   */
  async function runFlush(force) {
    const { settings, session, sync } = await load();
    const token = settings.token;
    if (!token) return { outcome: 'unpaired' };
    if (!force && inBackoff(sync, now())) return { outcome: 'backoff' };
    const { trackTitles } = trackingConfig(settings, session);
    const api = apiFor(settings);
    const result = await flushQueue({ queue, serial, send: (batch) => api.postEvents(batch, { titles: trackTitles }) });
    if (result.outcome === 'ok' && result.sent === 0) return result;
    await updateSync((latest) => afterFlush(latest, result, now(), { random }));
    if (result.outcome === 'unauthorized') await onUnauthorized(token);
    return result;
  }

  return {
    signal,
    forgetTimeline,
    flush,
    scheduleFlush,
    /**
     * True while a session is on and no browser window has focus: the worker then
     * reads Chrome's focus every few seconds, as a focus-back event may never come.
     */
    unfocusedInSession: () =>
      serial(async () => {
        const [values, view] = [await storage.get(['tracker']), (await memory.get([VIEW_KEY]))[VIEW_KEY]];
        return Boolean(values.tracker?.session) && view?.focused === false;
      }),
    /** The memory-only tracker state, for the popup's status line. */
    view: async () => (await memory.get([VIEW_KEY]))[VIEW_KEY] ?? null,
    /**
     * Who handles a refused token (the link module; set once by the engine).
     * @param {(token: string) => Promise<void>} handler
     */
    setUnauthorizedHandler(handler) {
      onUnauthorized = handler;
    },
  };
}

/**
 * A signal's `at` (local clock) in server time, like the tracker's clock.
 * @param {Signal} sig
 * @param {number} skew
 * @returns {Signal}
 */
function withServerTime(sig, skew) {
  return sig.at !== undefined && Number.isFinite(sig.at) ? { ...sig, at: sig.at + skew } : sig;
}
