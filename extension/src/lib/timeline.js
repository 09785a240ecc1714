// @ts-check
// The short local timeline: what the browser showed in the last few minutes,
// kept so that a session the extension learns of late (started in Telegram,
// found at the next poll) is recorded from its real start.
//
// It lives only in memory (chrome.storage.session, see tracker.js
// splitState), holds at most TIMELINE_MS of spans, and none of it is ever
// queued unless a declared session covers it: backfill() clips every span to
// the session's window.

import { isExcluded } from './hosts.js';

/** @import { Span, TrackedEvent, TrackerSession, TrackerState } from './types.js' */

/** How far back a late-learned session is filled in; the alarm polls every 30 s. */
export const TIMELINE_MS = 5 * 60 * 1000;
const MAX_SPANS = 300;

/**
 * Adds the span a candidate covered, dropping spans older than the timeline.
 * @param {Span[] | null | undefined} recent
 * @param {Span | null} span
 * @param {number} now
 */
export function remember(recent, span, now) {
  const kept = (recent ?? []).filter((item) => item.end > now - TIMELINE_MS);
  if (span && span.end > span.start) kept.push(span);
  return kept.slice(-MAX_SPANS);
}

/**
 * Closed events for the spans inside [from, to), clipped to it and filtered
 * by the current exclusions. `from` is the session's start (or the moment it
 * was last known); `to` is now or the session end, whichever is first.
 * @param {Span[] | null | undefined} recent
 * @param {{ from: number, to: number, newId: () => string, excludedHosts?: string[] }} window
 */
export function backfill(recent, { from, to, newId, excludedHosts = [] }) {
  /** @type {TrackedEvent[]} */
  const events = [];
  for (const span of recent ?? []) {
    const start = Math.max(span.start, from);
    const end = Math.min(span.end, to);
    if (end <= start || isExcluded(span.host, excludedHosts)) continue;
    events.push({ id: newId(), host: span.host, title: span.title, idle: span.idle, audible: span.audible, start, end });
  }
  return events;
}

/**
 * When a session has just become known: the moment from which the timeline
 * fills it in (its start, or when it was last known if it comes back), else null.
 * @param {TrackerState} state
 * @param {TrackerSession | null} sessionBefore
 * @returns {number | null}
 */
export function learnedFrom(state, sessionBefore) {
  const session = state.session;
  if (!session || (sessionBefore && sessionBefore.id === session.id)) return null;
  const knownUntil = state.known && state.known.id === session.id ? state.known.from : -Infinity;
  return Math.max(session.start, knownUntil);
}

/**
 * The span the current candidate covered until `end`, for the timeline.
 * @param {TrackerState} state
 * @param {number} end
 * @returns {Span | null}
 */
export function spanOf(state, end) {
  if (!state.candidate || state.since === null) return null;
  return { ...state.candidate, audible: Boolean(state.tab?.audible), start: state.since, end };
}
