import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { initialTrackerState, STALE_MS, step } from '../src/lib/tracker.js';
import { sequentialIds } from './helpers.js';

const T0 = Date.parse('2025-03-03T09:00:00Z');
const MIN = 60_000;
const SESSION = { type: 'session', active: true, id: 7, start: T0, end: T0 + 60 * MIN };

/** Drives the state machine like the worker does, persisting state as JSON between steps. */
function driver({ excludedHosts = [], trackTitles = false, staleMs = Infinity } = {}) {
  let state = initialTrackerState();
  const events = [];
  const newId = sequentialIds();
  return {
    events,
    get state() {
      return state;
    },
    at(minutes, signal) {
      const result = step(JSON.parse(JSON.stringify(state)), signal, { now: T0 + minutes * MIN, newId, excludedHosts, trackTitles, staleMs });
      state = result.state;
      events.push(...result.closed);
      return result.closed;
    },
    spans() {
      return events.map((e) => [e.host, (e.start - T0) / MIN, (e.end - T0) / MIN, e.idle, e.audible]);
    },
  };
}

const tab = (tabId, url, extra = {}) => ({ type: 'tab', tabId, host: url && new URL(url).hostname, title: `title of ${url}`, audible: false, ...extra });

describe('tracker', () => {
  it('records nothing without an active session', () => {
    const d = driver();
    d.at(0, tab(1, 'https://github.com/'));
    d.at(5, tab(2, 'https://news.example/'));
    d.at(9, { type: 'idle', state: 'idle' });
    d.at(10, { type: 'tick' });
    assert.deepEqual(d.events, []);
    assert.equal(d.state.open, null);
  });

  it('closes an event on every host switch', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(10, tab(2, 'https://docs.python.org/'));
    d.at(25, tab(1, 'https://github.com/'));
    d.at(30, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 10, false, false],
      ['docs.python.org', 10, 25, false, false],
      ['github.com', 25, 30, false, false],
    ]);
    assert.equal(new Set(d.events.map((e) => e.id)).size, 3);
  });

  it('does not split a visit when switching between tabs of the same host or when the title changes', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/a'));
    d.at(3, tab(2, 'https://github.com/b'));
    d.at(4, { type: 'tabUpdated', tabId: 2, host: 'github.com', title: 'changed', audible: false });
    d.at(6, tab(3, 'https://example.com/'));
    assert.deepEqual(d.spans(), [['github.com', 0, 6, false, false]]);
  });

  it('stops the clock while idle or locked and restarts it on return', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(10, { type: 'idle', state: 'idle' });
    d.at(15, { type: 'idle', state: 'locked' });
    d.at(20, { type: 'idle', state: 'active' });
    d.at(30, tab(2, 'https://example.com/'));
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 10, false, false],
      ['github.com', 20, 30, false, false],
    ]);
  });

  it('stops the clock when no browser window has focus', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(5, { type: 'focus', focused: false });
    d.at(8, { type: 'focus', focused: true });
    d.at(12, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 5, false, false],
      ['github.com', 8, 12, false, false],
    ]);
  });

  it('keeps the clock running for an audible tab while away, flagged idle', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://music.example/', { audible: true }));
    d.at(10, { type: 'idle', state: 'idle' });
    d.at(20, { type: 'tabUpdated', tabId: 1, host: 'music.example', title: 'x', audible: false });
    d.at(25, { type: 'idle', state: 'active' });
    d.at(30, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [
      ['music.example', 0, 10, false, true],
      ['music.example', 10, 20, true, true],
      ['music.example', 25, 30, false, false],
    ]);
  });

  it('marks an event audible when its tab starts playing while present', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://video.example/'));
    d.at(2, { type: 'tabUpdated', tabId: 1, host: 'video.example', title: 'x', audible: true });
    d.at(4, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['video.example', 0, 4, false, true]]);
  });

  it('does not reopen an event for tab signals while away', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(5, { type: 'idle', state: 'idle' });
    d.at(6, tab(2, 'https://example.com/'));
    d.at(7, { type: 'tabUpdated', tabId: 2, host: 'example.com', title: 'loaded', audible: false });
    d.at(8, { type: 'focus', focused: false });
    d.at(9, tab(3, 'https://other.example/'));
    d.at(10, { type: 'tick' });
    assert.equal(d.state.open, null);
    assert.deepEqual(d.spans(), [['github.com', 0, 5, false, false]]);
    d.at(12, { type: 'focus', focused: true });
    d.at(14, { type: 'idle', state: 'active' });
    d.at(20, { type: 'session', active: false });
    assert.deepEqual(d.spans().at(-1), ['other.example', 14, 20, false, false]);
  });

  it('ignores updates of tabs that are not the active one', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(3, { type: 'tabUpdated', tabId: 9, host: 'background.example', title: 'x', audible: true });
    d.at(5, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['github.com', 0, 5, false, false]]);
  });

  it('never records browser pages, incognito tabs (no host) or excluded hosts', () => {
    const d = driver({ excludedHosts: ['bank.example'] });
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(2, { type: 'tab', tabId: 2, host: null, title: 'New Tab', audible: false });
    d.at(4, tab(3, 'https://online.bank.example/'));
    d.at(6, tab(1, 'https://github.com/'));
    d.at(8, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 2, false, false],
      ['github.com', 6, 8, false, false],
    ]);
  });

  it('closes the open event when its host becomes excluded', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://youtube.com/'));
    const closed = step(d.state, { type: 'config' }, { now: T0 + 3 * MIN, newId: () => 'x', excludedHosts: ['youtube.com'], staleMs: Infinity });
    assert.deepEqual(closed.closed.map((e) => [e.host, (e.end - T0) / MIN]), [['youtube.com', 3]]);
    assert.equal(closed.state.open, null);
  });

  it('clips to the session end, even when the next signal comes late', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(75, { type: 'tick' });
    d.at(80, tab(2, 'https://example.com/'));
    assert.deepEqual(d.spans(), [['github.com', 0, 60, false, false]]);
    assert.equal(d.state.open, null);
  });

  it('starts at the session start when the session is learned late', () => {
    const d = driver();
    d.at(-20, tab(1, 'https://github.com/'));
    d.at(-10, tab(2, 'https://docs.python.org/'));
    d.at(0.5, SESSION); // polled 30 s after the session started
    d.at(5, tab(1, 'https://github.com/'));
    assert.deepEqual(d.spans(), [['docs.python.org', 0, 5, false, false]]);
  });

  it('does not start before the session or count away time before it', () => {
    const d = driver();
    d.at(-20, tab(1, 'https://github.com/'));
    d.at(-5, { type: 'idle', state: 'idle' });
    d.at(2, { type: 'idle', state: 'active' });
    d.at(2.5, SESSION);
    d.at(6, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [['github.com', 2, 6, false, false]]);
  });

  it('ends the open event at the early end of a session', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(20, { type: 'session', active: false });
    d.at(30, tab(2, 'https://example.com/'));
    assert.deepEqual(d.spans(), [['github.com', 0, 20, false, false]]);
  });

  it('splits at the boundary when one session follows another', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(61, { ...SESSION, id: 8, start: T0 + 61 * MIN, end: T0 + 90 * MIN });
    d.at(70, { type: 'session', active: false });
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 60, false, false],
      ['github.com', 61, 70, false, false],
    ]);
  });

  it('keeps titles only when allowed', () => {
    const off = driver();
    off.at(0, SESSION);
    off.at(0, tab(1, 'https://github.com/'));
    off.at(1, { type: 'session', active: false });
    assert.equal(off.events[0].title, null);
    assert.equal(off.state.tab.title, null);

    const on = driver({ trackTitles: true });
    on.at(0, SESSION);
    on.at(0, tab(1, 'https://github.com/'));
    on.at(1, { type: 'tabUpdated', tabId: 1, host: 'github.com', title: 'Pull requests', audible: false });
    on.at(2, { type: 'session', active: false });
    assert.deepEqual(on.events.map((e) => e.title), ['title of https://github.com/', 'Pull requests']);
  });

  it('on browser start-up, ends the event left open at the last time it was seen', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(4, { type: 'tick' }); // last alarm before the browser was closed
    d.at(9, { type: 'startup' });
    assert.deepEqual(d.spans(), [['github.com', 0, 4, false, false]]);
    d.at(9.5, tab(5, 'https://example.com/'));
    d.at(12, { type: 'session', active: false });
    assert.deepEqual(d.spans().at(-1), ['example.com', 9.5, 12, false, false]);
  });

  it('produces events with the documented shape', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(1, { type: 'session', active: false });
    assert.deepEqual(Object.keys(d.events[0]).sort(), ['audible', 'end', 'host', 'id', 'idle', 'start', 'title']);
  });
});

describe('tracker noise', () => {
  it('drops events shorter than half a second, such as redirects and tabs passed through', () => {
    const d = driver();
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(5, tab(2, 'https://sso.example/'));
    d.at(5 + 0.3 / 60, tab(3, 'https://app.example/'));
    d.at(10, { type: 'session', active: false });
    assert.deepEqual(d.spans().map(([host]) => host), ['github.com', 'app.example']);
  });
});

describe('tracker gaps', () => {
  it('ends the open event when last seen after a long silence (sleep, crash), without backfilling', () => {
    const d = driver({ staleMs: STALE_MS });
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(0.5, { type: 'tick' });
    d.at(1, { type: 'tick' });
    d.at(25, { type: 'tick' }); // the laptop slept for 24 minutes
    d.at(26, tab(2, 'https://example.com/'));
    assert.deepEqual(d.spans(), [
      ['github.com', 0, 1, false, false],
      ['github.com', 25, 26, false, false],
    ]);
  });

  it('counts short gaps between alarms normally', () => {
    const d = driver({ staleMs: STALE_MS });
    d.at(0, SESSION);
    d.at(0, tab(1, 'https://github.com/'));
    d.at(1.5, { type: 'tick' });
    d.at(3, tab(2, 'https://example.com/'));
    assert.deepEqual(d.spans(), [['github.com', 0, 3, false, false]]);
  });
});
