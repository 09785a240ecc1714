// The worker's logic end to end against a fake API, including worker restarts.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { createEngine, tabSignal } from '../src/lib/engine.js';
import { createClock, createFakeServer, createMemoryStorage, sessionBody } from './helpers.js';

const MIN = 60_000;

function manualTimers() {
  const pending = new Map();
  let next = 0;
  return {
    setTimer: (fn, delay) => (pending.set((next += 1), { fn, delay }), next),
    clearTimer: (id) => pending.delete(id),
    delays: () => [...pending.values()].map((t) => t.delay),
    async runAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const t of due) await t.fn();
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

let clock;
let server;
let data;
let timers;
let session;
let stored;

function bootWorker() {
  // A fresh worker: new engine, same storage contents, nothing else kept.
  return createEngine({
    storage: createMemoryStorage(data),
    fetch: server.fetch,
    now: clock.now,
    newId: () => crypto.randomUUID(),
    random: () => 0.5,
    staleMs: Infinity, // these tests jump minutes at a time without the 30 s alarm
    ...timers,
  });
}

const tab = (id, url, extra = {}) => tabSignal('tab', { id, url, title: `T ${url}`, audible: false, incognito: false, ...extra });

beforeEach(() => {
  clock = createClock();
  data = new Map([['token', 'tok-1'], ['tokenServerUrl', 'http://127.0.0.1:8000']]);
  timers = manualTimers();
  stored = new Map();
  const t0 = clock.now();
  session = sessionBody({ start: t0, end: t0 + 50 * MIN, now: t0 });
  server = createFakeServer({
    'GET /v1/session': () => ({ status: 200, body: { ...session, server_time: new Date(clock.now()).toISOString() } }),
    'POST /v1/events': (body) => {
      let duplicates = 0;
      for (const e of body.events) {
        if (stored.has(e.id)) duplicates += 1;
        else stored.set(e.id, e);
      }
      return { status: 202, body: { accepted: body.events.length - duplicates, duplicates, rejected: [] } };
    },
  });
});

const spans = () => [...stored.values()].map((e) => [e.host, (Date.parse(e.end) - Date.parse(e.start)) / MIN]);

describe('engine', () => {
  it('polls the session, records tab switches and sends them shortly after', async () => {
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(10 * MIN);
    await worker.signal(tab(2, 'https://docs.python.org/3/'));
    assert.deepEqual(timers.delays().sort((a, b) => a - b), [2000, 50 * MIN + 50]); // flush soon; close at the session end
    clock.advance(2000);
    await worker.flush();
    assert.deepEqual(spans(), [['github.com', 10]]);
    assert.equal(server.posted()[0].headers.Authorization, 'Bearer tok-1');
    const status = await worker.status();
    assert.equal(status.sync.status, 'ok');
    assert.deepEqual(status.queue, { length: 0, dropped: 0 });
  });

  it('loses nothing when the worker is killed mid-session', async () => {
    let worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(5 * MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    worker = bootWorker(); // killed before its flush timer fired
    clock.advance(7 * MIN);
    await worker.signal(tab(3, 'https://news.example/'));
    worker = bootWorker();
    clock.advance(1 * MIN);
    await worker.tick();
    assert.deepEqual(spans(), [['github.com', 5], ['example.com', 7]]);
  });

  it('keeps events while the server is down and sends each once when it is back', async () => {
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    server.down = true;
    for (const [i, host] of ['a.example', 'b.example', 'c.example'].entries()) {
      clock.advance(MIN);
      await worker.signal(tab(i + 2, `https://${host}/`));
      await worker.flush();
    }
    let status = await worker.status();
    assert.equal(status.sync.status, 'offline');
    assert.equal(status.queue.length, 3);
    assert.ok(status.sync.nextAt > clock.now());
    assert.equal((await worker.flush()).outcome, 'backoff');

    server.down = false;
    clock.advance(30_000);
    await worker.tick(); // the session poll succeeds, so the back-off is lifted
    await new Promise((resolve) => setTimeout(resolve, 0));
    status = await worker.status();
    assert.equal(status.queue.length, 0);
    assert.deepEqual(spans(), [['github.com', 1], ['a.example', 1], ['b.example', 1]]);
    const sentIds = server.posted().flatMap((r) => r.body.events.map((e) => e.id));
    assert.equal(new Set(sentIds).size, 3, 'the failed attempts reused the same ids');
  });

  it('records nothing without a session, and stops when the server ends it', async () => {
    session = sessionBody({ active: false, now: clock.now() });
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(5 * MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    await worker.tick();
    assert.equal(stored.size, 0);

    const t = clock.now();
    session = sessionBody({ start: t, end: t + 30 * MIN, now: t });
    await worker.pollSession();
    clock.advance(3 * MIN);
    session = sessionBody({ active: false, now: clock.now() });
    await worker.tick();
    clock.advance(10 * MIN);
    await worker.signal(tab(3, 'https://news.example/'));
    await worker.flush({ force: true });
    assert.deepEqual(spans(), [['example.com', 3]]);
  });

  it('starts its clock at the session start when it learns of the session late', async () => {
    const worker = bootWorker();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(30_000);
    await worker.tick();
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    await worker.flush();
    assert.deepEqual(spans(), [['github.com', 1.5]]);
  });

  it('corrects for a wrong local clock with the server time', async () => {
    const serverAhead = 5 * MIN;
    server.handlers['GET /v1/session'] = () => ({ status: 200, body: { ...session, server_time: new Date(clock.now() + serverAhead).toISOString() } });
    const worker = bootWorker();
    clock.advance(-serverAhead); // local clock is 5 min behind the server
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(2 * MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    await worker.flush();
    const [event] = stored.values();
    assert.equal(Date.parse(event.start), Date.parse(session.started_at), 'in server time, inside the session');
    assert.equal((Date.parse(event.end) - Date.parse(event.start)) / MIN, 2);
  });

  it('sends titles only when the user and the server both allow them', async () => {
    data.set('trackTitles', true);
    session.track_titles = true;
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    await worker.flush();
    assert.deepEqual([...stored.values()].map((e) => e.title), ['T https://github.com/']);

    data.set('trackTitles', false);
    await worker.settingsChanged(['trackTitles']);
    clock.advance(MIN);
    await worker.signal(tab(3, 'https://news.example/'));
    await worker.flush();
    assert.deepEqual([...stored.values()].map((e) => e.title), ['T https://github.com/', null]);
  });

  it('applies the excluded hosts of the user and of the server', async () => {
    data.set('excludedHosts', ['bank.example']);
    session.excluded_hosts = ['health.example'];
    const worker = bootWorker();
    await worker.pollSession();
    for (const [i, url] of ['https://github.com/', 'https://my.bank.example/', 'https://health.example/x', 'https://example.com/'].entries()) {
      await worker.signal(tab(i, url));
      clock.advance(MIN);
    }
    await worker.tick();
    assert.deepEqual(spans(), [['github.com', 1]]);
  });

  it('forgets a revoked token, stops sending and keeps the queue', async () => {
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    server.handlers['POST /v1/events'] = () => ({ status: 401, body: { detail: 'Device revoked.' } });
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    clock.advance(MIN);
    await worker.flush();
    const status = await worker.status();
    assert.equal(status.linked, false);
    assert.equal(status.sync.status, 'unlinked');
    assert.equal(status.session, null);
    assert.equal(status.queue.length, 2, 'the open event was closed when tracking stopped');
    const requests = server.requests.length;
    await worker.tick();
    await worker.flush({ force: true });
    assert.equal(server.requests.length, requests);
  });

  it('starts and ends sessions for the popup', async () => {
    session = sessionBody({ active: false, now: clock.now() });
    server.handlers['POST /v1/sessions'] = (body) => {
      const t = clock.now();
      session = sessionBody({ start: t, end: t + body.minutes * MIN, now: t, goal: body.goal });
      return { status: 201, body: session };
    };
    server.handlers['POST /v1/session/end'] = () => ((session = sessionBody({ active: false, now: clock.now() })), { status: 200, body: session });
    const worker = bootWorker();
    await worker.signal(tab(1, 'https://github.com/'));
    const started = await worker.startSession(25, 'write tests');
    assert.equal(started.status, 201);
    assert.equal((await worker.status()).session.goal, 'write tests');
    clock.advance(4 * MIN);
    await worker.endSession();
    await worker.flush();
    assert.deepEqual(spans(), [['github.com', 4]]);
  });

  it('unlinks: sends the queue, revokes the device and forgets the token', async () => {
    server.handlers['DELETE /v1/devices/me'] = () => ({ status: 204 });
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    const response = await worker.unlink();
    assert.equal(response.status, 204);
    assert.deepEqual(spans(), [['github.com', 1]]);
    assert.equal(data.has('token'), false);
    assert.deepEqual((await worker.status()).queue, { length: 0, dropped: 0 });
  });

  it('a new server address never receives the old token or the old queue', async () => {
    const revoked = [];
    server.handlers['DELETE /v1/devices/me'] = (_body, init) => (revoked.push(init.headers.Authorization), { status: 204 });
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    server.down = true; // the old server is unreachable: two events wait
    await worker.flush();
    server.down = false;
    const before = server.requests.length;

    const result = await worker.changeServer('http://127.0.0.1:9999');
    assert.equal(result.unlinked, true);
    await worker.tick();
    await worker.flush();
    const after = server.requests.slice(before);
    assert.deepEqual(after.filter((r) => r.headers.Authorization).map((r) => new URL(`http://x${r.path}`).pathname), ['/v1/devices/me']);
    assert.deepEqual(revoked, ['Bearer tok-1']); // only the old server, which issued it, hears of the token again
    assert.equal(data.has('token'), false);
    assert.deepEqual((await worker.status()).queue, { length: 0, dropped: 0 });
    assert.equal((await worker.status()).recording.reason, 'not-linked');
  });

  it('a token written for another address is dropped and never sent', async () => {
    const worker = bootWorker();
    await worker.pollSession();
    await worker.signal(tab(1, 'https://github.com/'));
    clock.advance(MIN);
    await worker.signal(tab(2, 'https://example.com/'));
    const before = server.requests.length;
    data.set('serverUrl', 'http://localhost:7000'); // e.g. another options page saved it
    await worker.settingsChanged(['serverUrl']);
    await worker.flush({ force: true });
    assert.deepEqual(server.requests.slice(before).filter((r) => r.headers.Authorization), []);
    assert.equal(data.has('token'), false);
    assert.equal((await worker.status()).queue.length, 0);
  });
});
