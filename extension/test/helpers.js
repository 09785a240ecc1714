// Test doubles: a storage shaped like chrome.storage.local, a controllable
// clock, and a fake qtime API server behind an injected fetch.

/** Values are JSON-copied in and out, as chrome.storage does. `data` outlives any engine. */
export function createMemoryStorage(data = new Map()) {
  const copy = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  return {
    data,
    async get(keys) {
      const out = {};
      for (const key of keys) if (data.has(key)) out[key] = copy(data.get(key));
      return out;
    },
    async set(values) {
      for (const [key, value] of Object.entries(values)) data.set(key, copy(value));
    },
    async remove(keys) {
      for (const key of keys) data.delete(key);
    },
  };
}

export function createClock(start = Date.parse('2025-03-03T09:00:00Z')) {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
      return current;
    },
    set(ms) {
      current = ms;
    },
  };
}

export function sequentialIds(prefix = 'ev') {
  let n = 0;
  return () => `${prefix}-${(n += 1)}`;
}

/**
 * A fake API: `handlers` maps "METHOD /path" to (body, request) → { status, body }.
 * Records every request; `down = true` makes every call fail like a network error.
 */
export function createFakeServer(handlers = {}) {
  const server = {
    requests: [],
    down: false,
    handlers,
    fetch: async (url, init = {}) => {
      const { pathname } = new URL(url);
      const method = init.method ?? 'GET';
      const body = init.body ? JSON.parse(init.body) : undefined;
      server.requests.push({ method, path: pathname, body, headers: init.headers ?? {} });
      if (server.down) throw new TypeError('Failed to fetch');
      const handler = server.handlers[`${method} ${pathname}`];
      const answer = handler ? await handler(body, init) : { status: 404, body: { detail: 'Not Found' } };
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'Content-Type': 'application/json' },
      });
    },
    posted(path = '/v1/events') {
      return server.requests.filter((r) => r.method === 'POST' && r.path === path);
    },
  };
  return server;
}

/** A server-side session body as GET /v1/session returns it. */
export function sessionBody({ active = true, id = 1, start, end, now, goal = 'write chapter 2', trackTitles = false, excluded = [] }) {
  return {
    active,
    id: active ? id : null,
    goal: active ? goal : null,
    started_at: active ? new Date(start).toISOString() : null,
    ends_at: active ? new Date(end).toISOString() : null,
    server_time: new Date(now).toISOString(),
    track_titles: trackTitles,
    excluded_hosts: excluded,
  };
}
