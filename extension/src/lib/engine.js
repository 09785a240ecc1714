// The service worker's logic, free of chrome.*: each call reads what it needs
// from storage, changes it and writes it back, so the worker may be killed
// between any two calls and a fresh one carries on. Only timers (the flush
// debounce, the session end) live in memory, and losing them is harmless:
// the alarm does the same work within 30 s.
//
// Two clocks: the tracker works in server time (local clock + measured skew,
// so events line up with the session window); the sync record in local time.

import { createApi } from './api.js';
import { hostOf } from './hosts.js';
import { createLink } from './link.js';
import { createPairingFlow } from './pairing.js';
import { createQueue } from './queue.js';
import { createRecorder } from './recorder.js';
import { createSerial } from './serial.js';
import { readSettings, SETTINGS_KEYS } from './settings.js';
import { initialSyncState } from './sync.js';

const STATE_KEYS = ['tracker', 'session', 'sync', 'clockSkewMs', 'pairing'];

/** A chrome.tabs.Tab → a tracker signal. Incognito tabs and non-web pages get no host. */
export function tabSignal(type, tab) {
  return {
    type,
    tabId: tab?.id ?? null,
    host: !tab || tab.incognito ? null : hostOf(tab.url),
    title: typeof tab?.title === 'string' ? tab.title : null,
    audible: Boolean(tab?.audible),
  };
}

/** `storage` is shaped like chrome.storage.local: get(keys[]), set(object), remove(keys[]). */
export function createEngine({
  storage,
  fetch = globalThis.fetch,
  now = Date.now,
  random = Math.random,
  newId = () => crypto.randomUUID(),
  setTimer = setTimeout,
  clearTimer = clearTimeout,
  staleMs = undefined, // tests that jump the clock without alarms turn gap detection off
}) {
  const serial = createSerial();

  async function load() {
    const values = await storage.get([...SETTINGS_KEYS, ...STATE_KEYS]);
    const skew = Number.isFinite(values.clockSkewMs) ? values.clockSkewMs : 0;
    return {
      values,
      settings: readSettings(values),
      session: values.session ?? null,
      sync: { ...initialSyncState(), ...values.sync },
      serverNow: now() + skew,
    };
  }

  function updateSync(change) {
    return serial(async () => {
      const { sync } = await load();
      await storage.set({ sync: change(sync) });
    });
  }

  const base = {
    storage,
    serial,
    queue: createQueue(storage),
    load,
    updateSync,
    apiFor: (settings) => createApi({ baseUrl: settings.serverUrl, token: settings.token, fetch }),
    now,
    random,
    newId,
    staleMs,
    setTimer,
    clearTimer,
  };
  const recorder = createRecorder(base);
  const link = createLink(base, recorder);
  const pairing = createPairingFlow(base);

  /** Periodic work (the alarm): session end, a pending pairing, session state, the queue. */
  async function tick() {
    await recorder.signal({ type: 'tick' });
    const { values, settings } = await load();
    if (values.pairing && !settings.token) await pairing.collectPairing();
    await link.pollSession();
    await recorder.flush();
  }

  /** Settings changed (options page, or a test writing storage directly). */
  async function settingsChanged(keys) {
    if (keys.includes('token') || keys.includes('serverUrl')) {
      await updateSync((sync) => ({ ...sync, attempt: 0, nextAt: 0, failedWith: null }));
      await link.pollSession();
      await recorder.flush({ force: true });
    } else if (keys.includes('excludedHosts') || keys.includes('trackTitles')) {
      await recorder.signal({ type: 'config' });
    }
  }

  /** What the popup shows. `serverNow` lets it count the time left in server time. */
  async function status() {
    const { values, settings, session, sync, serverNow } = await load();
    const queue = await base.queue.stats();
    const linked = Boolean(settings.token);
    return { linked, serverUrl: settings.serverUrl, session, sync, queue, serverNow, pairing: values.pairing ?? null };
  }

  const { setUnauthorizedHandler: _internal, ...recording } = recorder;
  return { ...recording, ...link, ...pairing, tick, settingsChanged, status };
}
