// @ts-check
// Merging consecutive events of the same host.
//
// Switching between two browser windows fires "no window focused" and then
// "window focused" a few milliseconds apart, which splits one visit in two.
// Events this close together, with the same host, title and idle flag, are one.

export const MERGE_GAP_MS = 1000;

/** @import { QueuedEvent, TrackedEvent } from './types.js' */

/**
 * @param {TrackedEvent | undefined} a
 * @param {TrackedEvent | undefined} b
 * @returns {a is TrackedEvent}
 */
export function canMerge(a, b, gapMs = MERGE_GAP_MS) {
  if (!a || !b) return false;
  const gap = b.start - a.end;
  return (
    a.host === b.host &&
    (a.title ?? null) === (b.title ?? null) &&
    Boolean(a.idle) === Boolean(b.idle) &&
    gap >= 0 &&
    gap <= gapMs
  );
}

/**
 * @template {TrackedEvent} E
 * @param {E} a
 * @param {TrackedEvent} b
 * @returns {E}
 */
function merged(a, b) {
  return { ...a, end: Math.max(a.end, b.end), audible: Boolean(a.audible || b.audible) };
}

/**
 * Merges a time-ordered list of events; keeps the first event's id.
 * @param {TrackedEvent[]} events
 */
export function mergeEvents(events, gapMs = MERGE_GAP_MS) {
  /** @type {TrackedEvent[]} */
  const out = [];
  for (const event of events) {
    const last = out.at(-1);
    if (canMerge(last, event, gapMs)) out[out.length - 1] = merged(last, event);
    else out.push({ ...event });
  }
  return out;
}

/**
 * Appends events to a queue's items, merging into the tail when allowed.
 * An item already handed to a POST (`attempted`) is never changed: the server
 * may have stored it, and a resend with the same id would be a duplicate, so
 * the extra time would be lost.
 * @param {QueuedEvent[]} items
 * @param {TrackedEvent[]} events
 * @returns {QueuedEvent[]}
 */
export function appendMerged(items, events, gapMs = MERGE_GAP_MS) {
  const out = items.slice();
  for (const event of mergeEvents(events, gapMs)) {
    const last = out.at(-1);
    if (!last?.attempted && canMerge(last, event, gapMs)) out[out.length - 1] = merged(last, event);
    else out.push(event);
  }
  return out;
}
