import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { appendMerged, mergeEvents } from '../src/lib/merge.js';
import { createQueue } from '../src/lib/queue.js';
import { createMemoryStorage } from './helpers.js';

const ev = (id, host, start, end, extra = {}) => ({ id, host, title: null, start, end, audible: false, idle: false, ...extra });

describe('merge', () => {
  it('merges consecutive events of the same host across a tiny gap', () => {
    const merged = mergeEvents([ev('a', 'x.com', 0, 100), ev('b', 'x.com', 105, 200, { audible: true }), ev('c', 'y.com', 200, 300)]);
    assert.deepEqual(merged, [ev('a', 'x.com', 0, 200, { audible: true }), ev('c', 'y.com', 200, 300)]);
  });

  it('keeps events apart across a real gap, another host between, or a different idle flag or title', () => {
    const apart = [
      ev('a', 'x.com', 0, 100),
      ev('b', 'x.com', 5000, 6000),
      ev('c', 'y.com', 6000, 7000),
      ev('d', 'x.com', 7000, 8000),
      ev('e', 'x.com', 8000, 9000, { idle: true }),
      ev('f', 'x.com', 9000, 9500, { idle: true, title: 'other' }),
    ];
    assert.deepEqual(mergeEvents(apart).map((e) => e.id), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('never merges into an event already handed to the server', () => {
    const items = [{ ...ev('a', 'x.com', 0, 100), attempted: true }];
    const out = appendMerged(items, [ev('b', 'x.com', 100, 200)]);
    assert.deepEqual(out.map((e) => e.id), ['a', 'b']);
    const fresh = appendMerged([ev('a', 'x.com', 0, 100)], [ev('b', 'x.com', 100, 200)]);
    assert.deepEqual(fresh, [ev('a', 'x.com', 0, 200)]);
  });
});

describe('queue', () => {
  it('keeps events in order and removes sent ones', async () => {
    const queue = createQueue(createMemoryStorage());
    await queue.push([ev('a', 'x.com', 0, 10), ev('b', 'y.com', 10, 20)]);
    await queue.push([ev('c', 'z.com', 20, 30)]);
    assert.deepEqual((await queue.take(2)).map((e) => e.id), ['a', 'b']);
    await queue.remove(['a', 'b']);
    assert.deepEqual(await queue.stats(), { length: 1, dropped: 0 });
    assert.deepEqual((await queue.take(100)).map((e) => e.id), ['c']);
  });

  it('hands out plain events, without its bookkeeping', async () => {
    const queue = createQueue(createMemoryStorage());
    await queue.push([ev('a', 'x.com', 0, 10)]);
    await queue.take(1);
    assert.deepEqual(await queue.take(1), [ev('a', 'x.com', 0, 10)]);
  });

  it('is bounded: the oldest events are dropped and counted', async () => {
    const queue = createQueue(createMemoryStorage(), { max: 5 });
    const batch = (from, n) => Array.from({ length: n }, (_, i) => ev(`e${from + i}`, `h${from + i}.com`, (from + i) * 10, (from + i) * 10 + 5));
    await queue.push(batch(0, 4));
    await queue.push(batch(4, 4));
    assert.deepEqual(await queue.stats(), { length: 5, dropped: 3 });
    assert.deepEqual((await queue.take(10)).map((e) => e.id), ['e3', 'e4', 'e5', 'e6', 'e7']);
    await queue.push(batch(8, 2));
    assert.deepEqual(await queue.stats(), { length: 5, dropped: 5 });
  });

  it('defaults to 5000 events', async () => {
    const queue = createQueue(createMemoryStorage());
    const many = Array.from({ length: 5003 }, (_, i) => ev(`e${i}`, `h${i % 2}.com`, i * 10000, i * 10000 + 5));
    assert.deepEqual(await queue.push(many), { length: 5000, dropped: 3 });
  });

  it('survives a worker restart: a new queue on the same storage sees everything', async () => {
    const storage = createMemoryStorage();
    const before = createQueue(storage);
    await before.push([ev('a', 'x.com', 0, 10), ev('b', 'y.com', 10, 20)]);
    await before.take(1); // in flight when the worker died
    const after = createQueue(createMemoryStorage(storage.data));
    assert.deepEqual((await after.take(10)).map((e) => e.id), ['a', 'b']);
    await after.push([ev('c', 'x.com', 20, 30)]);
    assert.deepEqual(await after.stats(), { length: 3, dropped: 0 });
  });

  it('writes other keys in the same storage call as the events', async () => {
    const storage = createMemoryStorage();
    let calls = 0;
    const counting = { ...storage, set: async (values) => ((calls += 1), storage.set(values)) };
    await createQueue(counting).push([ev('a', 'x.com', 0, 10)], { tracker: { open: null } });
    assert.equal(calls, 1);
    assert.deepEqual(storage.data.get('tracker'), { open: null });
  });
});
