// @ts-check
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
import { joinState } from './tracker.js';
import { DEFAULT_SERVER_URL, normalizeServerUrl, readSettings, SETTINGS_KEYS, trackingConfig } from './settings.js';
import { recordingState } from './status.js';
import { initialSyncState } from './sync.js';

/** @import { EngineBase, Loaded, Settings, Storage, SyncState, TabSignal } from './types.js' */

/**
 * @typedef {ReturnType<typeof createEngine>} Engine
 * @typedef {Awaited<ReturnType<Engine['status']>>} EngineStatus what the popup and options page show
 */

const STATE_KEYS = ['tracker', 'session', 'sync', 'clockSkewMs', 'pairing'];

/**
 * A chrome.tabs.Tab → a tracker signal. Incognito tabs and non-web pages get no host.
 * @param {TabSignal['type']} type
 * @param {chrome.tabs.Tab | null | undefined} tab
 * @param {{ focused?: boolean }} [extra]
 * @returns {TabSignal}
 */
export function tabSignal(type, tab, extra = {}) {
  return {
    type,
    tabId: tab?.id ?? null,
    host: !tab || tab.incognito ? null : hostOf(tab.url),
    title: typeof tab?.title === 'string' ? tab.title : null,
    audible: Boolean(tab?.audible),
    private: Boolean(tab?.incognito),
    ...extra,
  };
}

/**
 * chrome.windows.getLastFocused({ populate: true }) → its active tab, with Chrome's own focus.
 * @param {chrome.windows.Window | null | undefined} win
 */
export function windowSignal(win) {
  const tab = win?.tabs?.find((item) => item.active) ?? null;
  return tabSignal('tab', tab, { focused: Boolean(win?.focused) });
}

/**
 * `storage` is shaped like chrome.storage.local: get(keys[]), set(object), remove(keys[]).
 * @param {{ storage: Storage, memory?: Storage, fetch?: typeof globalThis.fetch, now?: () => number,
 *   random?: () => number, newId?: () => string, setTimer?: EngineBase['setTimer'],
 *   clearTimer?: EngineBase['clearTimer'], staleMs?: number }} deps
 */
export function createEngine({
  storage,
  memory = storage, // chrome.storage.session in the browser: lost when the browser closes
  fetch = globalThis.fetch,
  now = Date.now,
  random = Math.random,
  newId = () => crypto.randomUUID(),
  setTimer = setTimeout,
  clearTimer = clearTimeout,
  staleMs = undefined, // tests that jump the clock without alarms turn gap detection off
}) {
  const serial = createSerial();

  /** @returns {Promise<Loaded>} */
  async function load() {
    const values = await storage.get([...SETTINGS_KEYS, ...STATE_KEYS]);
    const skew = values.clockSkewMs !== undefined && Number.isFinite(values.clockSkewMs) ? values.clockSkewMs : 0;
    return {
      values,
      settings: readSettings(values),
      session: values.session ?? null,
      sync: { ...initialSyncState(), ...values.sync },
      skew,
      serverNow: now() + skew,
    };
  }

  /** @param {(sync: SyncState) => SyncState} change */
  function updateSync(change) {
    return serial(async () => {
      const { sync } = await load();
      await storage.set({ sync: change(sync) });
    });
  }

  /** @type {EngineBase} */
  const base = {
    storage,
    memory,
    serial,
    queue: createQueue(storage),
    load,
    updateSync,
    apiFor: (/** @type {Settings} */ settings) => createApi({ baseUrl: settings.serverUrl, token: settings.token, fetch }),
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

  /**
   * Settings changed (options page, or a test writing storage directly).
   * @param {string[]} keys
   */
  async function settingsChanged(keys) {
    if (keys.includes('token') || keys.includes('serverUrl') || keys.includes('tokenServerUrl')) {
      await link.dropForeignToken();
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
    const tracker = joinState(values.tracker, await recorder.view());
    const { excludedHosts } = trackingConfig(settings, session);
    const recording = recordingState({ linked, tracker, session, now: serverNow, excludedHosts });
    return { linked, serverUrl: settings.serverUrl, session, sync, queue, serverNow, recording, pairing: values.pairing ?? null };
  }

  /** A token stored before tokens were bound to their server is bound to the current address. */
  async function migrate() {
    const values = await storage.get(['token', 'tokenServerUrl', 'serverUrl']);
    if (!values.token || values.tokenServerUrl) return;
    const url = normalizeServerUrl(values.serverUrl ?? DEFAULT_SERVER_URL);
    if (url) await storage.set({ tokenServerUrl: url });
    else await storage.remove(['token', 'deviceId']); // an http:// address elsewhere: never send it again
  }

  const { setUnauthorizedHandler: _internal, view: _view, ...recording } = recorder;
  return { ...recording, ...link, ...pairing, tick, settingsChanged, status, migrate };
}
