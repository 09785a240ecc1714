import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cleanTitle, createApi, detailOf, TITLE_MAX_CHARS, toWire } from '../src/lib/api.js';
import { clockSkew, formatDuration, parseIso, sessionSignal, sessionView } from '../src/lib/session.js';
import { normalizeServerUrl, readSettings, serverUrlProblem, trackingConfig } from '../src/lib/settings.js';
import { createFakeServer } from './helpers.js';

describe('session state', () => {
  it('parses ISO times, taking a time without a zone as UTC', () => {
    assert.equal(parseIso('2025-03-03T09:00:00Z'), Date.UTC(2025, 2, 3, 9));
    assert.equal(parseIso('2025-03-03T10:00:00+01:00'), Date.UTC(2025, 2, 3, 9));
    assert.equal(parseIso('2025-03-03T09:00:00'), Date.UTC(2025, 2, 3, 9));
    assert.equal(parseIso(null), null);
    assert.equal(parseIso('soon'), null);
  });

  it('turns the server body into a tracker signal', () => {
    const body = { active: true, id: 4, goal: 'g', started_at: '2025-03-03T09:00:00Z', ends_at: '2025-03-03T10:30:00Z' };
    assert.deepEqual(sessionSignal(body), { type: 'session', active: true, id: 4, start: Date.UTC(2025, 2, 3, 9), end: Date.UTC(2025, 2, 3, 10, 30) });
    assert.deepEqual(sessionSignal({ active: false }), { type: 'session', active: false });
    assert.deepEqual(sessionSignal({ active: true, started_at: null }), { type: 'session', active: false });
  });

  it('keeps a compact view for the popup', () => {
    const view = sessionView({ active: true, id: 4, goal: 'g', started_at: '2025-03-03T09:00:00Z', ends_at: null, track_titles: true, excluded_hosts: ['a.com', 3] });
    assert.deepEqual(view, { active: true, id: 4, goal: 'g', startedAt: Date.UTC(2025, 2, 3, 9), endsAt: null, trackTitles: true, excludedHosts: ['a.com'] });
  });

  it('estimates clock skew from the middle of the request', () => {
    assert.equal(clockSkew('1970-01-01T00:00:10Z', 1000, 3000), 8000);
    assert.equal(clockSkew(undefined, 0, 0), 0);
  });

  it('formats time left', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(-5000), '0:00');
    assert.equal(formatDuration(65_000), '1:05');
    assert.equal(formatDuration(3_909_000), '1:05:09');
  });
});

describe('settings', () => {
  it('defaults to the local server and no titles', () => {
    assert.deepEqual(readSettings({}), { serverUrl: 'http://127.0.0.1:8000', token: null, deviceId: null, deviceName: null, excludedHosts: [], trackTitles: false });
  });

  it('uses a token only at the address that issued it', () => {
    const issued = { serverUrl: 'https://a.example/', token: 'tok', tokenServerUrl: 'https://a.example' };
    assert.equal(readSettings(issued).token, 'tok');
    assert.equal(readSettings({ ...issued, serverUrl: 'https://b.example' }).token, null);
    assert.equal(readSettings({ ...issued, tokenServerUrl: undefined }).token, null);
  });

  it('refuses http:// except on this computer', () => {
    assert.equal(normalizeServerUrl('http://qtime.example.com'), null);
    assert.match(serverUrlProblem('http://qtime.example.com'), /https/);
    for (const local of ['http://127.0.0.1:8000', 'http://localhost:9', 'http://127.1.2.3', 'http://[::1]:8000']) {
      assert.equal(serverUrlProblem(local), null, local);
    }
    assert.equal(serverUrlProblem('https://qtime.example.com'), null);
    assert.equal(readSettings({ serverUrl: 'http://qtime.example.com', token: 't', tokenServerUrl: 'http://qtime.example.com' }).token, null);
  });

  it('normalises server URLs', () => {
    assert.equal(normalizeServerUrl('https://qtime.example.com/'), 'https://qtime.example.com');
    assert.equal(normalizeServerUrl(' http://localhost:8000/api// '), 'http://localhost:8000/api');
    assert.equal(normalizeServerUrl('ftp://x'), null);
    assert.equal(normalizeServerUrl('nope'), null);
  });

  it('sends titles only when the user and the server both allow them', () => {
    const settings = (trackTitles) => readSettings({ trackTitles, excludedHosts: ['mine.com'] });
    assert.equal(trackingConfig(settings(true), { trackTitles: true }).trackTitles, true);
    assert.equal(trackingConfig(settings(true), { trackTitles: false }).trackTitles, false);
    assert.equal(trackingConfig(settings(false), { trackTitles: true }).trackTitles, false);
    assert.equal(trackingConfig(settings(true), null).trackTitles, false);
    assert.deepEqual(trackingConfig(settings(false), { excludedHosts: ['theirs.com'] }).excludedHosts, ['mine.com', 'theirs.com']);
  });
});

describe('api client', () => {
  it('sends the bearer token and only the wire fields, in UTC', async () => {
    const server = createFakeServer({ 'POST /v1/events': () => ({ status: 202, body: { accepted: 1, duplicates: 0, rejected: [] } }) });
    const api = createApi({ baseUrl: 'http://127.0.0.1:8000/', token: 'tok', fetch: server.fetch });
    const event = { id: 'u1', host: 'x.com', title: 'secret', start: 0, end: 1500, audible: 1, idle: false, attempted: true, tabId: 4 };
    const response = await api.postEvents([event]);
    assert.equal(response.status, 202);
    const [request] = server.requests;
    assert.equal(request.headers.Authorization, 'Bearer tok');
    assert.deepEqual(request.body.events, [{ id: 'u1', host: 'x.com', title: null, start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T00:00:01.500Z', audible: true, idle: false }]);
    assert.equal(toWire(event, true).title, 'secret');
  });

  it('cleans titles before sending them', () => {
    assert.equal(cleanTitle('  Inbox\t(3)\n- Mail '), 'Inbox (3) - Mail');
    assert.equal(cleanTitle('x'.repeat(5000)).length, TITLE_MAX_CHARS);
    assert.equal(cleanTitle('\u0000 '), null);
    assert.equal(cleanTitle(undefined), null);
  });

  it('does not send a token when pairing', async () => {
    const server = createFakeServer({ 'POST /v1/pairings': () => ({ status: 201, body: { id: 'p', code: 'C' } }) });
    const api = createApi({ baseUrl: 'http://s', token: 'tok', fetch: server.fetch });
    await api.createPairing('Chrome on Linux', 'Europe/Berlin');
    assert.equal(server.requests[0].headers.Authorization, undefined);
    assert.deepEqual(server.requests[0].body, { device_name: 'Chrome on Linux', timezone: 'Europe/Berlin' });
  });

  it('never throws: network errors are status 0, errors carry the detail', async () => {
    const server = createFakeServer({ 'POST /v1/sessions': () => ({ status: 409, body: { detail: 'A session is already active.' } }) });
    const api = createApi({ baseUrl: 'http://s', token: 't', fetch: server.fetch });
    assert.deepEqual(await api.startSession(25, 'x'), { ok: false, status: 409, data: { detail: 'A session is already active.' }, error: 'A session is already active.' });
    server.down = true;
    const down = await api.getSession();
    assert.equal(down.status, 0);
    assert.match(down.error, /unreachable/);
    assert.equal(detailOf({ detail: [{ msg: 'field required' }] }, 422), 'field required');
    assert.equal(detailOf(null, 502), 'HTTP 502');
  });
});
