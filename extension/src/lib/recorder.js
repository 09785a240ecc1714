// Recording and sending: tracker signals become queued events, and the queue
// goes to the server (debounced after each event, forced or on the alarm).

import { afterFlush, flushQueue, inBackoff } from './sync.js';
import { trackingConfig } from './settings.js';
import { initialTrackerState, step } from './tracker.js';

export const FLUSH_DELAY_MS = 2000;

/** `base` comes from engine.js: storage, serial, queue, load, apiFor, updateSync, clocks and timers. */
export function createRecorder(base) {
  const { storage, serial, queue, load, apiFor, updateSync, now, random, newId, staleMs, setTimer } = base;
  let flushTimer = null;
  let flushing = null;
  let flushAgain = false;
  let onUnauthorized = async () => {};

  /** Feeds one signal to the tracker; closed events join the queue in the same write. */
  function signal(sig) {
    return serial(async () => {
      const { values, settings, session, serverNow } = await load();
      const ctx = { now: serverNow, newId, staleMs, ...trackingConfig(settings, session) };
      const { state, closed } = step(values.tracker ?? initialTrackerState(), sig, ctx);
      if (closed.length === 0) {
        await storage.set({ tracker: state });
        return closed;
      }
      await queue.push(closed, { tracker: state });
      scheduleFlush();
      return closed;
    });
  }

  function scheduleFlush(delay = FLUSH_DELAY_MS) {
    if (flushTimer !== null) return;
    flushTimer = setTimer(() => {
      flushTimer = null;
      flush().catch(() => {});
    }, delay);
  }

  /** Sends the queue. Concurrent calls share one run; a call during a run asks for one more. */
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

  async function runFlush(force) {
    const { settings, session, sync } = await load();
    if (!settings.token) return { outcome: 'unpaired' };
    if (!force && inBackoff(sync, now())) return { outcome: 'backoff' };
    const { trackTitles } = trackingConfig(settings, session);
    const api = apiFor(settings);
    const result = await flushQueue({ queue, serial, send: (batch) => api.postEvents(batch, { titles: trackTitles }) });
    if (result.outcome === 'ok' && result.sent === 0) return result;
    await updateSync((latest) => afterFlush(latest, result, now(), { random }));
    if (result.outcome === 'unauthorized') await onUnauthorized(settings.token);
    return result;
  }

  return {
    signal,
    flush,
    scheduleFlush,
    /** Who handles a refused token (the link module; set once by the engine). */
    setUnauthorizedHandler(handler) {
      onUnauthorized = handler;
    },
  };
}
