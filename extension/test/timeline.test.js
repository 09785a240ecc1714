// The tracker's local timeline, late-learned sessions, idle time and Chrome's focus.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { windowSignal } from '../src/lib/engine.js';
import { TIMELINE_MS } from '../src/lib/timeline.js';
import { initialTrackerState, joinState, splitState, step } from '../src/lib/tracker.js';
import { sequentialIds } from './helpers.js';

const T0 = Date.parse('2025-03-03T09:00:00Z');
const S = 1000;

/** Drives the state machine in seconds, persisting its two parts as the worker does. */
function driver({ excludedHosts = [] } = {}) {
  let durable = {};
  let volatile = {};
  const events = [];
  const newId = sequentialIds();
  return {
    events,
    get state() {
      return joinState(durable, volatile);
    },
    at(seconds, signal) {
      const prev = JSON.parse(JSON.stringify(joinState(durable, volatile)));
      const result = step(prev, signal, { now: T0 + seconds * S, newId, excludedHosts, staleMs: Infinity });
      ({ durable, volatile } = splitState(result.state));
      events.push(...result.closed);
      return result.closed;
    },
    spans() {
      return events.map((e) => [e.host, (e.start - T0) / S, (e.end - T0) / S]);
    },
  };
}

const tab = (host, extra = {}) => ({ type: 'tab', tabId: host?.length ?? 0, host, title: null, audible: false, ...extra });
const session = (id, startSeconds, minutes = 60) => ({ type: 'session', active: true, id, start: T0 + startSeconds * S, end: T0 + startSeconds * S + minutes * 60 * S });

describe('a session learned late', () => {
  it('counts every tab switch back to the session start', () => {
    const d = driver();
    d.at(0, tab('a.test'));
    d.at(6, tab('b.test'));
    d.at(12, tab('a.test'));
    d.at(18, tab('c.test'));
    d.at(24, tab('b.test'));
    d.at(35, session(1, 10)); // /focus at 10 s, learned at the next poll
    d.at(40, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['b.test', 10, 12], ['a.test', 12, 18], ['c.test', 18, 24], ['b.test', 24, 40]]);
  });

  it('keeps nothing older than the timeline and never sends it without a session', () => {
    const d = driver();
    d.at(0, tab('old.test'));
    d.at(10, tab(null)); // a browser page: nothing to record
    d.at(TIMELINE_MS / S + 60, tab('a.test'));
    d.at(TIMELINE_MS / S + 70, { type: 'tick' });
    assert.deepEqual(d.events, []);
    assert.deepEqual(d.state.recent.map((span) => span.host), []); // old.test left over 5 min ago
    d.at(TIMELINE_MS / S + 80, session(1, 0));
    assert.deepEqual(d.spans(), []); // only the open event, from a.test's switch
    assert.equal(d.state.open.start, T0 + (TIMELINE_MS / S + 60) * S);
  });

  it('does not fill in again a session it already recorded', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('a.test'));
    d.at(10, tab('b.test'));
    d.at(20, { type: 'session', active: false }); // a poll that briefly saw no session
    d.at(25, tab('c.test'));
    d.at(30, session(1, 0));
    d.at(40, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['a.test', 0, 10], ['b.test', 10, 20], ['b.test', 20, 25], ['c.test', 25, 40]]);
  });

  it('leaves out excluded hosts and time before the session', () => {
    const d = driver({ excludedHosts: ['bank.test'] });
    d.at(0, tab('a.test'));
    d.at(5, tab('bank.test'));
    d.at(9, tab('b.test'));
    d.at(20, session(1, 3));
    d.at(21, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['a.test', 3, 5], ['b.test', 9, 21]]);
  });

  it('keeps the timeline in memory only', () => {
    const d = driver();
    d.at(0, tab('a.test'));
    d.at(5, tab('b.test'));
    const { durable, volatile } = splitState(d.state);
    assert.deepEqual(Object.keys(durable).sort(), ['known', 'lastSeen', 'open', 'session']);
    assert.equal(JSON.stringify(durable).includes('a.test'), false);
    assert.deepEqual(volatile.recent.map((span) => span.host), ['a.test']);
  });
});

describe('idle', () => {
  it('ends attention when the user went idle, not when Chrome reported it', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('a.test'));
    d.at(80, { type: 'idle', state: 'idle', at: T0 + 20 * S }); // 60 s threshold
    d.at(200, { type: 'idle', state: 'active' });
    d.at(210, tab('b.test'));
    assert.deepEqual(d.spans(), [['a.test', 0, 20], ['a.test', 200, 210]]);
  });

  it('counts sound while away as idle time from the moment the user left', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('music.test', { audible: true }));
    d.at(70, { type: 'idle', state: 'idle', at: T0 + 10 * S });
    d.at(100, { type: 'idle', state: 'active' });
    assert.deepEqual(d.events.map((e) => [e.host, (e.start - T0) / S, (e.end - T0) / S, e.idle]), [
      ['music.test', 0, 10, false],
      ['music.test', 10, 100, true],
    ]);
  });
});

describe("Chrome's focus", () => {
  it('a reading of the focused window brings recording back after a lost focus event', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('a.test'));
    d.at(10, { type: 'focus', focused: false }); // an incognito window; no focus-back ever comes
    assert.equal(d.state.open, null);
    const win = { focused: true, tabs: [{ id: 4, url: 'http://a.test/x', active: true }, { id: 5, url: 'http://b.test/', active: false }] };
    d.at(30, windowSignal(win)); // the next tick
    d.at(40, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['a.test', 0, 10], ['a.test', 30, 40]]);
  });

  it('signals applied in the order Chrome fired them leave the last one in force', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('a.test'));
    d.at(5, tab('b.test', { focused: true })); // "window focused", its tab read in turn
    d.at(5.01, { type: 'focus', focused: false }); // "no window", fired just after
    assert.equal(d.state.focused, false);
    assert.equal(d.state.open, null);
  });

  it('a private tab is never recorded', () => {
    const d = driver();
    d.at(0, session(1, 0));
    d.at(0, tab('a.test', { private: true }));
    d.at(10, tab('b.test'));
    d.at(20, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['b.test', 10, 20]]);
    assert.equal(initialTrackerState().tab, null);
  });
});
