import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { backoffDelay, BACKOFF_CAP_MS } from '../src/lib/backoff.js';
import { createQueue } from '../src/lib/queue.js';
import { afterContact, afterFlush, flushQueue, inBackoff, initialSyncState } from '../src/lib/sync.js';
import { createMemoryStorage } from './helpers.js';

const ev = (i) => ({ id: `e${i}`, host: `h${i}.com`, title: null, start: i * 1000, end: i * 1000 + 500, audible: false, idle: false });

async function queueOf(n) {
  const queue = createQueue(createMemoryStorage());
  await queue.push(Array.from({ length: n }, (_, i) => ev(i)));
  return queue;
}

const accepted = (batch) => ({ status: 202, data: { accepted: batch.length, duplicates: 0, rejected: [] } });

describe('backoff', () => {
  it('grows exponentially, with jitter in the upper half', () => {
    assert.equal(backoffDelay(1, { random: () => 0 }), 1000);
    assert.equal(backoffDelay(1, { random: () => 1 }), 2000);
    assert.equal(backoffDelay(2, { random: () => 0 }), 2000);
    assert.equal(backoffDelay(4, { random: () => 1 }), 16000);
    for (let attempt = 1; attempt < 10; attempt += 1) {
      assert.ok(backoffDelay(attempt + 1, { random: () => 0 }) >= backoffDelay(attempt, { random: () => 0 }));
    }
  });

  it('is capped at five minutes, however many attempts', () => {
    assert.equal(BACKOFF_CAP_MS, 300_000);
    for (const attempt of [9, 20, 100, 10_000]) {
      const delay = backoffDelay(attempt, { random: () => 1 });
      assert.ok(delay <= BACKOFF_CAP_MS && delay >= BACKOFF_CAP_MS / 2, `${attempt}: ${delay}`);
    }
  });

  it('spreads retries of many clients', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5)));
    assert.ok(delays.size > 10);
  });
});

describe('flushQueue', () => {
  it('sends in batches of at most 100 and empties the queue on 202', async () => {
    const queue = await queueOf(250);
    const sizes = [];
    const result = await flushQueue({ queue, send: async (batch) => (sizes.push(batch.length), accepted(batch)) });
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.equal(result.outcome, 'ok');
    assert.equal(result.sent, 250);
    assert.deepEqual(await queue.stats(), { length: 0, dropped: 0 });
  });

  it('drops events the server rejected, since they will never be valid', async () => {
    const queue = await queueOf(3);
    const result = await flushQueue({
      queue,
      send: async () => ({ status: 202, data: { accepted: 2, duplicates: 0, rejected: [{ index: 1, id: 'e1', reason: 'far future' }] } }),
    });
    assert.equal(result.rejected, 1);
    assert.equal((await queue.stats()).length, 0);
  });

  it('keeps everything on network errors and 5xx', async () => {
    for (const status of [0, 500, 502, 503, 429]) {
      const queue = await queueOf(5);
      const result = await flushQueue({ queue, send: async () => ({ status, data: null, error: 'x' }) });
      assert.equal(result.outcome, 'retry', String(status));
      assert.equal(result.status, status);
      assert.equal((await queue.stats()).length, 5);
    }
  });

  it('stops on 401 and keeps the events', async () => {
    const queue = await queueOf(5);
    let calls = 0;
    const result = await flushQueue({ queue, send: async () => ((calls += 1), { status: 401, data: { detail: 'revoked' }, error: 'revoked' }) });
    assert.equal(result.outcome, 'unauthorized');
    assert.equal(calls, 1);
    assert.equal((await queue.stats()).length, 5);
  });

  it('splits a batch on 413 until it fits', async () => {
    const queue = await queueOf(100);
    const sizes = [];
    const result = await flushQueue({
      queue,
      send: async (batch) => (sizes.push(batch.length), batch.length > 30 ? { status: 413, data: null } : accepted(batch)),
    });
    assert.equal(result.outcome, 'ok');
    assert.equal(result.sent, 100);
    assert.deepEqual(sizes.slice(0, 3), [100, 50, 25]);
    assert.equal((await queue.stats()).length, 0);
  });

  it('isolates and drops a single event the server refuses with 422', async () => {
    const queue = await queueOf(8);
    const sent = [];
    const result = await flushQueue({
      queue,
      send: async (batch) => {
        if (batch.some((e) => e.id === 'e5')) return { status: 422, data: { detail: 'bad' } };
        sent.push(...batch.map((e) => e.id));
        return accepted(batch);
      },
    });
    assert.equal(result.outcome, 'ok');
    assert.equal(result.rejected, 1);
    assert.deepEqual(sent.sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e6', 'e7']);
    assert.equal((await queue.stats()).length, 0);
  });

  it('resends the same ids after a failure, so the server can deduplicate', async () => {
    const queue = await queueOf(3);
    const seen = [];
    await flushQueue({ queue, send: async (batch) => (seen.push(batch.map((e) => e.id)), { status: 0 }) });
    await flushQueue({ queue, send: async (batch) => (seen.push(batch.map((e) => e.id)), accepted(batch)) });
    assert.deepEqual(seen[0], seen[1]);
  });
});

describe('sync record', () => {
  it('backs off after failures and resets after success', () => {
    let sync = initialSyncState();
    sync = afterFlush(sync, { outcome: 'retry', status: 0, error: 'unreachable' }, 1000, { random: () => 0 });
    assert.equal(sync.status, 'offline');
    assert.equal(sync.attempt, 1);
    assert.ok(inBackoff(sync, 1500));
    assert.ok(!inBackoff(sync, sync.nextAt));
    sync = afterFlush(sync, { outcome: 'retry', status: 503 }, 5000, { random: () => 0 });
    assert.equal(sync.status, 'error');
    assert.equal(sync.attempt, 2);
    sync = afterFlush(sync, { outcome: 'ok', sent: 3 }, 9000);
    assert.deepEqual([sync.status, sync.attempt, sync.nextAt, sync.lastSyncAt], ['ok', 0, 0, 9000]);
  });

  it('lifts the back-off when a request succeeds after a network failure, not after a server error', () => {
    const offline = afterFlush(initialSyncState(), { outcome: 'retry', status: 0 }, 0, { random: () => 1 });
    const online = afterContact(offline, { ok: true, status: 200 }, 10);
    assert.ok(!inBackoff(online, 11));
    assert.equal(online.status, 'ok');
    const failing = afterFlush(initialSyncState(), { outcome: 'retry', status: 500 }, 0, { random: () => 1 });
    const polled = afterContact(failing, { ok: true, status: 200 }, 10);
    assert.ok(inBackoff(polled, 11));
    assert.equal(polled.status, 'error');
  });

  it('marks the device unlinked on 401', () => {
    assert.equal(afterContact(initialSyncState(), { ok: false, status: 401, error: 'revoked' }, 0).status, 'unlinked');
    assert.equal(afterFlush(initialSyncState(), { outcome: 'unauthorized' }, 0).status, 'unlinked');
  });
});
