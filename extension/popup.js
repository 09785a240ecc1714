// @ts-check
// The popup: what is being recorded right now (or why not), the current
// session with its time left, start and stop, and the queue and connection. While it is open it follows GET /v1/stream, so
// a session started or ended in Telegram shows up at once.

import { createApi } from './src/lib/api.js';
import { formatDuration } from './src/lib/session.js';
import { statusLine } from './src/lib/status.js';
import { readSse } from './src/lib/sse.js';
import { loadSettings, onAnyChange } from './src/store.js';
import { $, ask, clockTime, connectionText, show } from './src/ui.js';

/** @import { EngineStatus } from './src/lib/engine.js' */
/** @typedef {{ status: EngineStatus, takenAt: number }} View the last status, and the local time it was taken at */

const STREAM_RETRY_MS = 5000;
/** @type {View | null} */
let view = null;
/** @type {AbortController | null} */
let streamAbort = null;

/** @param {string | null | undefined} message */
function fail(message) {
  $('#error').textContent = message ?? '';
  show($('#error'), Boolean(message));
}

/** @param {string | null | undefined} message */
function notice(message) {
  $('#notice').textContent = message ?? '';
  show($('#notice'), Boolean(message));
}

async function refresh() {
  view = { status: await ask('status'), takenAt: Date.now() };
  render();
}

function render() {
  if (!view) return;
  const { linked, session, sync, queue, recording } = view.status;
  $('#status-line').textContent = statusLine(recording);
  $('#waiting').textContent = waitingText(queue.length);
  const active = linked && session?.active && session.endsAt !== null && session.endsAt > serverNow(view);
  show($('#not-linked'), !linked);
  show($('#active'), Boolean(active));
  show($('#start-form'), linked && !active);
  $('#goal').textContent = session?.goal ?? '';
  $('#ends-at').textContent = clockTime(session?.endsAt && session.endsAt - skew(view));
  $('#connection').textContent = connectionText(sync, linked);
  $('#queue-length').textContent = String(queue.length);
  $('#dropped').textContent = String(queue.dropped);
  $('#last-sync').textContent = sync.lastSyncAt ? new Date(sync.lastSyncAt).toLocaleTimeString() : '—';
  tickClock();
}

/** @param {number} count */
function waitingText(count) {
  return count === 1 ? '1 event waiting to be sent' : `${count} events waiting to be sent`;
}

/**
 * Server time now, from the worker's reading plus the time passed since.
 * @param {View} seen
 */
function serverNow(seen) {
  return seen.status.serverNow + (Date.now() - seen.takenAt);
}

/** @param {View} seen */
function skew(seen) {
  return seen.status.serverNow - seen.takenAt;
}

function tickClock() {
  const endsAt = view?.status.session?.endsAt;
  if (!view || !endsAt) return;
  const left = endsAt - serverNow(view);
  $('#time-left').textContent = formatDuration(left);
  if (left <= 0 && !$('#active').hidden) render(); // time is up: show the start form again
}

/** @param {SubmitEvent} event */
async function start(event) {
  event.preventDefault();
  const minutes = Number.parseInt($('#minutes', HTMLInputElement).value, 10);
  const goal = $('#goal-input', HTMLInputElement).value.trim();
  if (!Number.isInteger(minutes) || minutes < 1) return fail('Enter the minutes as a whole number.');
  if (!goal) return fail('Say what you want to get done.');
  $('#start', HTMLButtonElement).disabled = true;
  try {
    const response = await ask('startSession', { minutes, goal });
    fail(response.ok ? null : response.error);
    if (response.ok) $('#goal-input', HTMLInputElement).value = '';
  } finally {
    $('#start', HTMLButtonElement).disabled = false;
  }
  return refresh();
}

async function stop() {
  const response = await ask('endSession');
  fail(response.ok ? null : response.error);
  if (response.ok) notice('Session ended. The bot will ask for your review in Telegram.');
  else await ask('pollSession'); // e.g. 404: it had already ended elsewhere
  return refresh();
}

/** Follows the SSE stream while the popup is open, reconnecting after errors. */
async function follow() {
  const settings = await loadSettings();
  if (!settings.token || streamAbort) return;
  streamAbort = new AbortController();
  const api = createApi({ baseUrl: settings.serverUrl, token: settings.token });
  try {
    const response = await api.openStream(streamAbort.signal);
    if (response.ok && response.body) {
      await readSse(response.body, async ({ event, data }) => {
        if (event === 'session') await ask('session', { session: JSON.parse(data) });
        if (event === 'analysis') notice('Your session analysis is ready in Telegram.');
      });
    }
    if (response.status === 401) return ask('pollSession'); // the worker handles a revoked token
  } catch {
    // Network error or popup closing: retried below while the popup is open.
  } finally {
    streamAbort = null;
  }
  setTimeout(() => follow().catch(() => {}), STREAM_RETRY_MS);
  return undefined;
}

$('#start-form').addEventListener('submit', (event) => start(event).catch((error) => fail(error.message)));
$('#stop').addEventListener('click', () => stop().catch((error) => fail(error.message)));
$('#open-options').addEventListener('click', () => chrome.runtime.openOptionsPage());

onAnyChange(() => refresh().catch(() => {}));
setInterval(tickClock, 1000);
setInterval(() => refresh().catch(() => {}), 15_000); // the minutes left in the status line
await refresh().catch((error) => fail(error.message));
ask('pollSession').catch(() => {});
follow().catch(() => {});
