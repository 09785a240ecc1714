// The popup's status line: what is recorded, or why nothing is.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { recordingState, statusLine } from '../src/lib/status.js';

const NOW = Date.parse('2025-03-03T09:00:00Z');
const session = { active: true, goal: 'write chapter 2', endsAt: NOW + 12 * 60_000 - 5000 };
const tracker = (extra = {}) => ({ session: { id: 1 }, open: null, tab: { host: 'a.test' }, focused: true, idle: 'active', ...extra });
const line = (extra, more = {}) => statusLine(recordingState({ linked: true, tracker: tracker(extra), session, now: NOW, ...more }));

describe('status line', () => {
  it('says what is recorded, for which goal, and the minutes left', () => {
    assert.equal(line({ open: { host: 'github.com', idle: false } }), 'Recording github.com for write chapter 2, 12 min left');
  });

  it('names every pause', () => {
    assert.equal(line({ focused: false }), 'Paused: browser not focused');
    assert.equal(line({ idle: 'idle' }), 'Paused: idle');
    assert.equal(line({ idle: 'locked' }), 'Paused: idle');
    assert.equal(line({ tab: { host: null, private: true } }), 'Paused: incognito');
    assert.equal(line({ tab: { host: 'bank.test' } }, { excludedHosts: ['bank.test'] }), 'Paused: excluded site');
    assert.equal(line({ tab: { host: null } }), 'Paused: not a web page');
  });

  it('says when there is no session or no link', () => {
    assert.equal(line({}, { session: { active: false } }), 'Not recording: no focus session');
    assert.equal(line({}, { session: { ...session, endsAt: NOW - 1 } }), 'Not recording: no focus session');
    assert.equal(line({}, { linked: false }), 'Not recording: this browser is not linked');
  });
});
