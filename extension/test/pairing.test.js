import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { createEngine } from '../src/lib/engine.js';
import { createClock, createFakeServer, createMemoryStorage } from './helpers.js';

let clock;
let server;
let data;
let polls;

function boot() {
  return createEngine({ storage: createMemoryStorage(data), fetch: server.fetch, now: clock.now, setTimer: () => 0, clearTimer: () => {} });
}

beforeEach(() => {
  clock = createClock();
  data = new Map();
  polls = [];
  server = createFakeServer({
    'POST /v1/pairings': () => ({
      status: 201,
      body: { id: 'p-1', code: 'K7Q2MX', deep_link: 'https://t.me/qtime_bot?start=K7Q2MX', expires_at: new Date(clock.now() + 600_000).toISOString() },
    }),
    'GET /v1/pairings/p-1': () => ({ status: 200, body: polls.shift() ?? { status: 'pending' } }),
    'POST /v1/pairings/redeem': (body) =>
      body.code === 'GOOD42' ? { status: 200, body: { token: 'tok-redeemed', device_id: 9 } } : { status: 404, body: { detail: 'Unknown or expired code.' } },
  });
});

describe('pairing', () => {
  it('shows a deep link, then collects the token once the bot bound it', async () => {
    const worker = boot();
    const started = await worker.startPairing('Chrome on Linux', 'Europe/Berlin');
    assert.equal(started.pairing.deepLink, 'https://t.me/qtime_bot?start=K7Q2MX');
    assert.deepEqual(server.requests[0].body, { device_name: 'Chrome on Linux', timezone: 'Europe/Berlin' });
    assert.equal(server.requests[0].headers.Authorization, undefined);
    assert.equal((await worker.collectPairing()).state, 'pending');

    polls.push({ status: 'completed', token: 'tok-new', device_id: 3 });
    const restarted = boot(); // the options page was closed; the alarm collects it
    assert.equal((await restarted.collectPairing()).state, 'linked');
    assert.equal(data.get('token'), 'tok-new');
    assert.equal(data.get('deviceId'), 3);
    assert.equal(data.has('pairing'), false);
    assert.equal((await restarted.collectPairing()).state, 'linked');
  });

  it('gives up on an expired pairing', async () => {
    const worker = boot();
    await worker.startPairing('Chrome', 'UTC');
    server.handlers['GET /v1/pairings/p-1'] = () => ({ status: 410, body: { detail: 'Pairing expired.' } });
    assert.equal((await worker.collectPairing()).state, 'expired');
    assert.equal(data.has('pairing'), false);
    await worker.startPairing('Chrome', 'UTC');
    clock.advance(601_000);
    assert.equal((await worker.collectPairing()).state, 'expired');
  });

  it('links with a code typed from /link, and reports a wrong one', async () => {
    const worker = boot();
    const wrong = await worker.redeemCode('NOPE', 'Chrome', 'UTC');
    assert.equal(wrong.status, 404);
    assert.equal(data.has('token'), false);
    const right = await worker.redeemCode('  GOOD42 ', 'Chrome', 'UTC');
    assert.equal(right.status, 200);
    assert.equal(server.requests.at(-1).body.code, 'GOOD42');
    assert.equal(data.get('token'), 'tok-redeemed');
  });
});
