// The service worker: a thin adapter from chrome.* events to the engine
// (src/lib/engine.js). It keeps no state in globals: the worker may be killed
// at any moment, so everything lives in chrome.storage.local, read afresh on
// every event. All listeners are registered synchronously at the top level,
// as MV3 requires for events to wake the worker.
//
// chrome.storage.local keys
//   written by the user (options page) or a test; the worker reacts to changes:
//     serverUrl     string   API base URL, default "http://127.0.0.1:8000"
//     token         string   device token (Authorization: Bearer); absent = not linked
//     deviceId      number   the device id the API returned with the token
//     excludedHosts string[] hosts never recorded (subdomains included)
//     trackTitles   boolean  the user allows page titles (default false)
//   owned by the worker:
//     tracker       the tracker state machine, including the open event
//     queue         { items: event[], dropped: number } events waiting to be sent
//     session       the last session state from the API (popup view)
//     sync          { status, attempt, nextAt, lastSyncAt, lastContactAt, lastError, failedWith }
//     clockSkewMs   server clock minus local clock (0 when under a second)
//     pairing       { id, code, deepLink, expiresAt } while a pairing is pending
//
// Test hooks (evaluate inside the worker, e.g. Playwright's service_worker.evaluate):
//   globalThis.__qtimeReady === true once all listeners are registered;
//   globalThis.__qtimeTest.setIdle('idle' | 'locked' | 'active') runs the
//   idle.onStateChanged handler; .tick(), .flush() and .status() run the alarm's
//   work, send the queue now, and report what the popup shows. All return promises.

import { createEngine, tabSignal } from './lib/engine.js';
import { onSettingsChanged, storage } from './store.js';

const ALARM = 'qtime-tick';
const ALARM_MINUTES = 0.5; // packed MV3 extensions get at most one alarm per 30 s
const IDLE_SECONDS = 60;

const engine = createEngine({ storage });

function run(task) {
  return task().catch((error) => console.warn('qtime:', error?.message ?? error));
}

// Alarms can vanish when the browser restarts: check at every start-up.
async function ensureAlarm(recreate = false) {
  if (recreate || !(await chrome.alarms.get(ALARM))) {
    await chrome.alarms.create(ALARM, { delayInMinutes: ALARM_MINUTES, periodInMinutes: ALARM_MINUTES });
  }
}

async function refreshActiveTab() {
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  if (tab) await engine.signal(tabSignal('tab', tab));
}

const onIdle = (state) => run(() => engine.signal({ type: 'idle', state }));

chrome.tabs.onActivated.addListener(({ tabId }) =>
  run(async () => engine.signal(tabSignal('tab', await chrome.tabs.get(tabId)))),
);

chrome.tabs.onUpdated.addListener((_tabId, change, tab) => {
  if (!tab.active || !('url' in change || 'title' in change || 'audible' in change)) return;
  run(() => engine.signal(tabSignal('tabUpdated', tab)));
});

chrome.windows.onFocusChanged.addListener((windowId) =>
  run(async () => {
    if (windowId === chrome.windows.WINDOW_ID_NONE) return engine.signal({ type: 'focus', focused: false });
    const [tab] = await chrome.tabs.query({ active: true, windowId });
    if (tab) await engine.signal(tabSignal('tab', tab));
    return engine.signal({ type: 'focus', focused: true });
  }),
);

chrome.idle.setDetectionInterval(IDLE_SECONDS);
chrome.idle.onStateChanged.addListener(onIdle);

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) run(() => engine.tick());
});

chrome.runtime.onStartup.addListener(() =>
  run(async () => {
    await engine.signal({ type: 'startup' });
    await ensureAlarm(true);
    await refreshActiveTab();
    await engine.tick();
  }),
);

chrome.runtime.onInstalled.addListener(() =>
  run(async () => {
    await ensureAlarm(true);
    await refreshActiveTab();
    await engine.tick();
  }),
);

onSettingsChanged((keys) => run(() => engine.settingsChanged(keys)));

// Requests from the popup and the options page.
const handlers = {
  status: () => engine.status(),
  pollSession: () => engine.pollSession(),
  startSession: ({ minutes, goal }) => engine.startSession(minutes, goal),
  endSession: () => engine.endSession(),
  session: ({ session }) => engine.applySession(session), // pushed over SSE to the popup
  flush: () => engine.flush({ force: true }),
  startPairing: ({ deviceName, timezone }) => engine.startPairing(deviceName, timezone),
  collectPairing: () => engine.collectPairing(),
  cancelPairing: () => engine.cancelPairing(),
  redeemCode: ({ code, deviceName, timezone }) => engine.redeemCode(code, deviceName, timezone),
  unlink: () => engine.unlink(),
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = handlers[message?.type];
  if (!handler || sender.id !== chrome.runtime.id) return false;
  handler(message).then(
    (result) => sendResponse({ ok: true, result }),
    (error) => sendResponse({ ok: false, error: String(error?.message ?? error) }),
  );
  return true; // the answer comes asynchronously
});

globalThis.__qtimeTest = {
  setIdle: onIdle,
  tick: () => engine.tick(),
  flush: () => engine.flush({ force: true }),
  status: () => engine.status(),
};
globalThis.__qtimeReady = true;

// Every wake-up: make sure the alarm exists and the tracker knows the active tab.
run(async () => {
  await ensureAlarm();
  await refreshActiveTab();
});
