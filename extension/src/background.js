// @ts-check
// The service worker: a thin adapter from chrome.* events to the engine
// (src/lib/engine.js). It keeps no state in globals: the worker may be killed
// at any moment, so everything lives in chrome.storage, read afresh on every
// event. All listeners are registered synchronously at the top level, as MV3
// requires for events to wake the worker.
//
// Every browser event is handed to the engine at once, in the order Chrome
// fired it, with no await before: one that needs Chrome's state passes a
// function that reads it when its turn comes. Tab events and every tick read
// the focused window with windows.getLastFocused(), so a focus event Chrome
// never sent (none comes back after an incognito window closes) costs at most
// one tick.
//
// chrome.storage.local keys
//   written by the user (options page), the pairing or a test; the worker reacts to changes:
//     serverUrl      string   API base URL, default "http://127.0.0.1:8000"
//     token          string   device token (Authorization: Bearer); absent = not linked
//     tokenServerUrl string   the address that issued the token; any other address never gets it
//     deviceId       number   the device id the API returned with the token
//     deviceName     string   the name shown in the bot's /devices (default "Chrome on Linux")
//     excludedHosts  string[] hosts never recorded (subdomains included)
//     trackTitles    boolean  the user allows page titles (default false)
//   owned by the worker:
//     tracker       what is being recorded: the session, the open event, clock marks
//     queue         { items: event[], dropped: number } events waiting to be sent
//     session       the last session state from the API (popup view)
//     sync          { status, attempt, nextAt, lastSyncAt, lastContactAt, lastError, failedWith }
//     clockSkewMs   server clock minus local clock (0 when under a second)
//     pairing       { id, code, deepLink, expiresAt } while a pairing is pending
// chrome.storage.session (memory only)
//     trackerView   the active tab's host, focus, idle and the last few minutes' timeline
//
// Test hooks (evaluate inside the worker, e.g. Playwright's service_worker.evaluate):
//   globalThis.__qtimeReady === true once all listeners are registered;
//   globalThis.__qtimeTest.setIdle('idle' | 'locked' | 'active') runs the
//   idle.onStateChanged handler, .focusChanged(windowId) the onFocusChanged one
//   (to replay an order of events), .idleThreshold(seconds) changes the idle
//   detection interval (Chrome's minimum is 15 s); .tick(), .flush() and
//   .status() run the alarm's work, send the queue now, and report what the
//   popup shows. All return promises. Nothing calls them outside tests.

import { createEngine, tabSignal, windowSignal } from './lib/engine.js';
import { memory, onSettingsChanged, storage } from './store.js';

/** @import { IdleState, SessionBody } from './lib/types.js' */

const ALARM = 'qtime-tick';
const ALARM_MINUTES = 0.5; // packed MV3 extensions get at most one alarm per 30 s
const FOCUS_RECHECK_MS = 5000;
let idleSeconds = 60;
/** @type {number | null} */
let focusWatch = null; // a timer only: if the worker dies, the alarm does the same

const engine = createEngine({ storage, memory });

/**
 * Runs a listener's work; a failure is logged, never thrown into Chrome's event loop.
 * @param {() => Promise<unknown>} task
 */
function run(task) {
  return task().catch((error) => console.warn('qtime:', error?.message ?? error));
}

// Alarms can vanish when the browser restarts: check at every start-up.
async function ensureAlarm(recreate = false) {
  if (recreate || !(await chrome.alarms.get(ALARM))) {
    await chrome.alarms.create(ALARM, { delayInMinutes: ALARM_MINUTES, periodInMinutes: ALARM_MINUTES });
  }
}

/** Queues a reading of Chrome's focused window and its active tab. */
const reconcile = () =>
  run(() => engine.signal(async () => windowSignal(await chrome.windows.getLastFocused({ populate: true }).catch(() => null))));

/**
 * While a session is on and no window has focus, Chrome's focus is read every
 * few seconds: a focus-back event may never come, and waiting for the next
 * alarm would lose up to 30 s each time.
 */
function watchFocus() {
  if (focusWatch !== null) return;
  focusWatch = setTimeout(() => {
    focusWatch = null;
    reconcile();
    run(async () => {
      if (await engine.unfocusedInSession()) watchFocus();
    });
  }, FOCUS_RECHECK_MS);
}

/** The alarm's work: focus and tab from Chrome first, then session, queue and pairing. */
async function tick() {
  reconcile();
  await engine.tick();
  if (await engine.unfocusedInSession()) watchFocus();
}

// Chrome reports idle after `idleSeconds` without input: the user left that long ago.
/** @param {IdleState} state */
const onIdle = (state) =>
  run(() => engine.signal({ type: 'idle', state, at: state === 'idle' ? Date.now() - idleSeconds * 1000 : undefined }));

chrome.tabs.onActivated.addListener(reconcile);
// A window or tab that comes or goes may move the focus without a focus event
// (headless Chromium sends none when a window closes).
for (const event of [chrome.tabs.onRemoved, chrome.tabs.onReplaced, chrome.tabs.onAttached, chrome.windows.onRemoved]) {
  event.addListener(() => reconcile());
}

chrome.tabs.onUpdated.addListener((_tabId, change, tab) => {
  if (tab.active && ('url' in change || 'title' in change || 'audible' in change)) reconcile();
});

/** @param {number} windowId */
function onFocusChanged(windowId) {
  if (windowId === chrome.windows.WINDOW_ID_NONE) {
    watchFocus();
    return run(() => engine.signal({ type: 'focus', focused: false }));
  }
  return run(() =>
    engine.signal(async () => {
      const [tab] = await chrome.tabs.query({ active: true, windowId }).catch(() => []);
      return tabSignal('tab', tab, { focused: true });
    }),
  );
}
chrome.windows.onFocusChanged.addListener(onFocusChanged);

chrome.idle.setDetectionInterval(idleSeconds);
chrome.idle.onStateChanged.addListener(onIdle);

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) run(tick);
});

chrome.runtime.onStartup.addListener(() =>
  run(async () => {
    await engine.signal({ type: 'startup' });
    await ensureAlarm(true);
    await tick();
  }),
);

chrome.runtime.onInstalled.addListener(() =>
  run(async () => {
    await engine.migrate();
    await ensureAlarm(true);
    await tick();
  }),
);

onSettingsChanged((keys) => run(() => engine.settingsChanged(keys)));

/**
 * @typedef {{ deviceName: string, timezone: string }} DeviceFacts
 * @typedef {typeof handlers} Handlers what the popup and options page may ask (ui.js ask)
 */

// Requests from the popup and the options page.
const handlers = {
  status: () => engine.status(),
  pollSession: () => engine.pollSession(),
  /** @param {{ minutes: number, goal: string }} message */
  startSession: ({ minutes, goal }) => engine.startSession(minutes, goal),
  endSession: () => engine.endSession(),
  /** @param {{ session: SessionBody | null }} message pushed over SSE to the popup */
  session: ({ session }) => engine.applySession(session),
  flush: () => engine.flush({ force: true }),
  /** @param {DeviceFacts} message */
  startPairing: ({ deviceName, timezone }) => engine.startPairing(deviceName, timezone),
  collectPairing: () => engine.collectPairing(),
  cancelPairing: () => engine.cancelPairing(),
  /** @param {DeviceFacts & { code: string }} message */
  redeemCode: ({ code, deviceName, timezone }) => engine.redeemCode(code, deviceName, timezone),
  /** @param {{ serverUrl: string }} message */
  changeServer: ({ serverUrl }) => engine.changeServer(serverUrl),
  unlink: () => engine.unlink(),
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const type = message?.type;
  // Own keys only: a type such as "constructor" must not reach Object's prototype.
  if (typeof type !== 'string' || !Object.hasOwn(handlers, type) || sender.id !== chrome.runtime.id) return false;
  const handler = /** @type {(message: unknown) => Promise<unknown>} */ (handlers[/** @type {keyof Handlers} */ (type)]);
  handler(message).then(
    (result) => sendResponse({ ok: true, result }),
    (error) => sendResponse({ ok: false, error: String(error?.message ?? error) }),
  );
  return true; // the answer comes asynchronously
});

/** The worker's global scope with the test hooks on it. */
const hooks = /** @type {typeof globalThis & { __qtimeTest?: object, __qtimeReady?: boolean }} */ (globalThis);
hooks.__qtimeTest = {
  setIdle: onIdle,
  focusChanged: onFocusChanged,
  /** @param {number} seconds */
  idleThreshold: (seconds) => {
    idleSeconds = seconds;
    chrome.idle.setDetectionInterval(Math.max(15, seconds)); // Chrome's minimum
    return Promise.resolve(seconds);
  },
  tick,
  flush: () => engine.flush({ force: true }),
  status: () => engine.status(),
};
hooks.__qtimeReady = true;

// Every wake-up: the tracker learns the focused tab, and the alarm exists.
reconcile();
run(() => ensureAlarm());
