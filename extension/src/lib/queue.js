// @ts-check
// The durable, bounded event queue.
//
// Everything lives under one storage key, so each change is one atomic write
// and the queue survives the service worker being killed at any moment.
// `storage` is anything shaped like chrome.storage.local:
//   get(keys[]) -> Promise<object>, set(object) -> Promise, remove(keys[]) -> Promise.
// Callers serialise read-modify-write cycles (see serial.js).

import { appendMerged, MERGE_GAP_MS } from './merge.js';

/** @import { QueueState, Storage, StoredValues, TrackedEvent } from './types.js' */

export const QUEUE_KEY = 'queue';
export const QUEUE_MAX = 5000;

/** @typedef {ReturnType<typeof createQueue>} Queue */

/**
 * @param {Storage} storage
 * @param {{ key?: 'queue', max?: number, gapMs?: number }} [options]
 */
export function createQueue(storage, { key = QUEUE_KEY, max = QUEUE_MAX, gapMs = MERGE_GAP_MS } = {}) {
  /** @returns {Promise<QueueState>} */
  async function load() {
    const value = (await storage.get([key]))[key];
    return {
      items: Array.isArray(value?.items) ? value.items : [],
      dropped: typeof value?.dropped === 'number' && Number.isFinite(value.dropped) ? value.dropped : 0,
    };
  }

  /**
   * @param {QueueState} queue
   * @param {StoredValues} [alongside]
   */
  async function save(queue, alongside = {}) {
    await storage.set({ ...alongside, [key]: queue });
    return { length: queue.items.length, dropped: queue.dropped };
  }

  return {
    /**
     * Adds closed events; when full, the oldest are dropped and counted.
     * `alongside` holds other keys written in the same storage call, so the
     * tracker state that closed the events and the events land together.
     * @param {TrackedEvent[]} events
     * @param {StoredValues} [alongside]
     */
    async push(events, alongside = {}) {
      const queue = await load();
      let items = appendMerged(queue.items, events, gapMs);
      const overflow = items.length - max;
      if (overflow > 0) items = items.slice(overflow);
      return save({ items, dropped: queue.dropped + Math.max(0, overflow) }, alongside);
    },

    /**
     * The oldest `n` events, marked as attempted so they are never merged into.
     * @param {number} n
     * @returns {Promise<TrackedEvent[]>}
     */
    async take(n) {
      const queue = await load();
      const batch = queue.items.slice(0, n);
      if (batch.some((item) => !item.attempted)) {
        const items = queue.items.map((item, i) => (i < n ? { ...item, attempted: true } : item));
        await save({ ...queue, items });
      }
      return batch.map(({ attempted: _attempted, ...event }) => event);
    },

    /**
     * Forgets the events with these ids (sent, or rejected for good).
     * @param {string[]} ids
     */
    async remove(ids) {
      const gone = new Set(ids);
      const queue = await load();
      return save({ ...queue, items: queue.items.filter((item) => !gone.has(item.id)) });
    },

    async stats() {
      const queue = await load();
      return { length: queue.items.length, dropped: queue.dropped };
    },

    async clear() {
      return save({ items: [], dropped: 0 });
    },
  };
}
