// @ts-check
// The sessionising state machine: signals in, closed events out.
//
// The state is plain JSON so the service worker can persist it after every
// step and rebuild it when it is woken again. Times are epoch milliseconds.
//
// A "candidate" is what would be recorded right now if a session were active:
// the active tab's host (and title), with idle=true when the user is away but
// the tab is audible. `since` is when the candidate last changed, and `recent`
// holds the candidates of the last few minutes (timeline.js), so a session
// learned late still counts from its real start, tab switches included.
//
// Only what is being recorded is durable (chrome.storage.local): the session,
// the open event and the clock marks. What the browser shows (tab, focus,
// idle, candidate, the timeline) is kept in memory only (see splitState).

import { isExcluded } from './hosts.js';
import { backfill, learnedFrom, remember, spanOf } from './timeline.js';

/** @import { Candidate, OpenEvent, Signal, StepContext, TabSignal, TrackedEvent, TrackerState } from './types.js' */

/** Idle states in which the user counts as away. */
const AWAY = new Set(['idle', 'locked']);

// Events shorter than half a second are noise, not attention: redirects, or
// tabs passed through on the way to another. Dropping them keeps switch counts honest.
export const MIN_EVENT_MS = 500;

/** Silence longer than this (four missed 30 s alarms) means the browser was not running. */
export const STALE_MS = 2 * 60 * 1000;

const DURABLE_KEYS = ['session', 'open', 'lastSeen', 'known'];

/** @returns {TrackerState} */
export function initialTrackerState() {
  return {
    session: null, // { id, start, end } while a session is active
    known: null, // { id, from }: the last session seen, and until when it was known
    tab: null, // { tabId, host, title, audible, private }; host null = never recorded
    focused: true,
    idle: 'active',
    candidate: null,
    since: null,
    recent: [], // [{ host, title, idle, audible, start, end }], memory only
    open: null, // { id, host, title, start, audible, idle }
    lastSeen: null,
  };
}

/**
 * The state as two parts: `durable` for chrome.storage.local, `volatile` for memory.
 * @param {TrackerState} state
 */
export function splitState(state) {
  /** @type {Record<string, unknown>} */
  const durable = {};
  /** @type {Record<string, unknown>} */
  const volatile = {};
  for (const [key, value] of Object.entries(state)) (DURABLE_KEYS.includes(key) ? durable : volatile)[key] = value;
  return { durable: /** @type {Partial<TrackerState>} */ (durable), volatile: /** @type {Partial<TrackerState>} */ (volatile) };
}

/**
 * @param {Partial<TrackerState> | null | undefined} durable
 * @param {Partial<TrackerState> | null | undefined} volatile
 * @returns {TrackerState}
 */
export function joinState(durable, volatile) {
  const kept = Object.fromEntries(Object.entries(durable ?? {}).filter(([key]) => DURABLE_KEYS.includes(key)));
  return { ...initialTrackerState(), ...volatile, ...kept };
}

/**
 * One signal (what each means: types.js Signal) in; the new state and the
 * events it closed, oldest first, out.
 * @param {Partial<TrackerState> | null | undefined} prev
 * @param {Signal} signal
 * @param {StepContext} ctx
 * @returns {{ state: TrackerState, closed: TrackedEvent[] }}
 */
export function step(prev, signal, ctx) {
  /** @type {TrackerState} */
  const state = { ...initialTrackerState(), ...prev };
  const now = Math.max(ctx.now, state.lastSeen ?? ctx.now);
  const at = Math.min(now, signal.at ?? now);
  /** @type {TrackedEvent[]} */
  const closed = [];

  // The alarm updates lastSeen every 30 s while the browser runs. A longer
  // silence means the browser was closed or the computer slept: what was open
  // ended when we last saw it, and that gap must not be counted or backfilled.
  const stale = state.lastSeen !== null && now - state.lastSeen > (ctx.staleMs ?? STALE_MS);
  if (signal.type === 'startup' || stale) {
    if (state.open) {
      const end = Math.max(state.open.start, state.lastSeen ?? state.open.start);
      pushClosed(closed, state.open, Math.min(end, state.session?.end ?? end));
    }
    const seen = state.lastSeen ?? now;
    state.recent = remember(state.recent, spanOf(state, Math.max(state.since ?? seen, seen)), now);
    Object.assign(state, { open: null, candidate: null });
    if (signal.type === 'startup') Object.assign(state, { tab: null, focused: true, idle: 'active', recent: [] });
  }
  const sessionBefore = state.session;
  applySignal(state, signal, ctx);

  const candidate = candidateOf(state, ctx);
  if (!sameSegment(candidate, state.candidate)) {
    state.recent = remember(state.recent, spanOf(state, at), now);
    state.candidate = candidate;
    state.since = Math.max(at, state.since ?? at);
  } else {
    state.recent = remember(state.recent, null, now);
  }
  const session = state.session;
  const recording = session && now >= session.start && now < session.end ? candidate : null;

  if (state.open) {
    const sameSession = session && sessionBefore && session.id === sessionBefore.id;
    if (!recording || !sameSession || !sameSegment(recording, state.open)) {
      const limit = sessionBefore ? sessionBefore.end : now;
      pushClosed(closed, state.open, Math.max(state.open.start, Math.min(at, limit)));
      state.open = null;
    } else if (state.tab?.audible) {
      state.open = { ...state.open, audible: true };
    }
  }
  const from = learnedFrom(state, sessionBefore);
  if (from !== null && session) {
    const spans = backfill(state.recent, { from, to: Math.min(now, session.end), newId: ctx.newId, excludedHosts: ctx.excludedHosts });
    for (const event of spans) pushClosed(closed, event, event.end);
  }
  if (recording && session && !state.open) {
    state.open = {
      id: ctx.newId(),
      ...recording,
      start: Math.max(state.since ?? now, session.start, from ?? -Infinity),
      audible: Boolean(state.tab?.audible),
    };
  }
  const live = session ?? sessionBefore; // known until now, even when it just went away
  if (live) state.known = { id: live.id, from: now };
  state.lastSeen = now;
  return { state, closed };
}

/**
 * @param {TrackerState} state
 * @param {Signal} signal
 * @param {StepContext} ctx
 */
function applySignal(state, signal, ctx) {
  switch (signal.type) {
    case 'tab':
      state.tab = tabOf(signal, ctx);
      if (typeof signal.focused === 'boolean') state.focused = signal.focused;
      break;
    case 'tabUpdated':
      if (state.tab && state.tab.tabId === signal.tabId) state.tab = tabOf(signal, ctx);
      break;
    case 'focus':
      state.focused = Boolean(signal.focused);
      break;
    case 'idle':
      state.idle = signal.state;
      break;
    case 'session':
      state.session = signal.active === true && Number.isFinite(signal.start) && Number.isFinite(signal.end)
        ? { id: signal.id ?? null, start: signal.start, end: signal.end }
        : null;
      break;
    default:
      break;
  }
}

/**
 * Titles are kept, even in local state, only while the user allows them.
 * @param {TabSignal} signal
 * @param {StepContext} ctx
 */
function tabOf(signal, { trackTitles = false }) {
  return {
    tabId: signal.tabId ?? null,
    host: signal.private ? null : signal.host ?? null,
    title: trackTitles && typeof signal.title === 'string' ? signal.title : null,
    audible: Boolean(signal.audible),
    private: Boolean(signal.private),
  };
}

/**
 * What would be recorded now (ignoring the session), or null.
 * @param {TrackerState} state
 * @param {StepContext} ctx
 * @returns {Candidate | null}
 */
function candidateOf(state, { excludedHosts = [], trackTitles = false }) {
  const tab = state.tab;
  if (!tab || !tab.host || isExcluded(tab.host, excludedHosts)) return null;
  const away = !state.focused || AWAY.has(state.idle);
  if (away && !tab.audible) return null;
  return { host: tab.host, title: trackTitles ? tab.title : null, idle: away };
}

/**
 * @param {Candidate | null} a
 * @param {Candidate | null} b
 */
function sameSegment(a, b) {
  if (!a || !b) return a === b;
  return a.host === b.host && (a.title ?? null) === (b.title ?? null) && a.idle === b.idle;
}

/**
 * @param {TrackedEvent[]} closed
 * @param {OpenEvent} open
 * @param {number} end
 */
function pushClosed(closed, open, end) {
  if (end - open.start >= MIN_EVENT_MS) closed.push({ ...open, end });
}
