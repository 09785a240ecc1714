// @ts-check
// What the popup says about recording, from the tracker's state: either what
// is being recorded and for how long, or why nothing is (every pause visible).

import { isExcluded } from './hosts.js';

/** @import { PauseReason, RecordingState, SessionView, TrackerState } from './types.js' */

/** @type {Record<PauseReason, string>} */
export const PAUSE_TEXT = {
  'no-session': 'Not recording: no focus session',
  incognito: 'Paused: incognito',
  'not-focused': 'Paused: browser not focused',
  idle: 'Paused: idle',
  'not-web': 'Paused: not a web page',
  excluded: 'Paused: excluded site',
  'not-linked': 'Not recording: this browser is not linked',
};

/**
 * { recording: true, host, idle, goal, minutesLeft } or { recording: false, reason }.
 * `tracker` is the joined tracker state, `session` the stored session view,
 * `now` server time, `excludedHosts` from trackingConfig.
 * @param {{ linked: boolean, tracker: TrackerState | null, session: SessionView | null, now: number,
 *   excludedHosts?: string[] }} facts
 * @returns {RecordingState}
 */
export function recordingState({ linked, tracker, session, now, excludedHosts = [] }) {
  if (!linked) return { recording: false, reason: 'not-linked' };
  if (!session?.active || !(session.endsAt !== null && session.endsAt > now) || !tracker?.session) {
    return { recording: false, reason: 'no-session' };
  }
  const open = tracker.open;
  const minutesLeft = Math.max(1, Math.ceil((session.endsAt - now) / 60_000));
  if (open) return { recording: true, host: open.host, idle: Boolean(open.idle), goal: session.goal ?? '', minutesLeft };
  const tab = tracker.tab;
  if (tab?.private) return { recording: false, reason: 'incognito' };
  if (tracker.focused === false) return { recording: false, reason: 'not-focused' };
  if (tracker.idle === 'idle' || tracker.idle === 'locked') return { recording: false, reason: 'idle' };
  if (!tab?.host) return { recording: false, reason: 'not-web' };
  if (isExcluded(tab.host, excludedHosts)) return { recording: false, reason: 'excluded' };
  return { recording: false, reason: 'not-web' };
}

/**
 * "Recording github.com for write chapter 2, 12 min left" or the pause reason.
 * @param {RecordingState} state
 */
export function statusLine(state) {
  if (!state.recording) return PAUSE_TEXT[state.reason] ?? 'Paused';
  const away = state.idle ? ' (playing sound while you are away)' : '';
  const goal = state.goal ? ` for ${state.goal}` : '';
  return `Recording ${state.host}${away}${goal}, ${state.minutesLeft} min left`;
}
