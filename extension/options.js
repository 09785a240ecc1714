// @ts-check
// The options page: server address, linking with Telegram, privacy settings.
// Network calls go through the service worker (see background.js handlers).

import { parseHostList } from './src/lib/hosts.js';
import { normalizeServerUrl, serverUrlProblem } from './src/lib/settings.js';
import { loadSettings, onAnyChange, saveSettings } from './src/store.js';
import { $, ask, connectionText, deviceName, show, timezone } from './src/ui.js';

/** @import { Pairing } from './src/lib/types.js' */

const PAIRING_POLL_MS = 2000;
/** @type {number | null} */
let pollTimer = null;

/** @param {string | null | undefined} message shown as the page's error; none hides it */
function fail(message) {
  $('#error').textContent = message ?? '';
  show($('#error'), Boolean(message));
}

async function render() {
  const [settings, status] = await Promise.all([loadSettings(), ask('status')]);
  if (document.activeElement !== $('#server-url')) $('#server-url', HTMLInputElement).value = settings.serverUrl;
  $('#connection').textContent = connectionText(status.sync, status.linked);
  $('#device-id').textContent = String(settings.deviceId ?? '?');
  $('#linked-name').textContent = settings.deviceName ?? deviceName();
  if (document.activeElement !== $('#device-name')) $('#device-name', HTMLInputElement).value = settings.deviceName ?? deviceName();
  show($('#linked'), status.linked);
  show($('#unlinked'), !status.linked);
  renderPairing(status.linked ? null : status.pairing);
}

/** @param {Pairing | null} pairing */
function renderPairing(pairing) {
  show($('#pairing'), Boolean(pairing));
  if (!pairing) return stopPolling();
  // The server leaves the deep link out when it does not know the bot's username.
  show($('#deep-link-line'), Boolean(pairing.deepLink));
  $('#deep-link', HTMLAnchorElement).href = pairing.deepLink ?? '#';
  $('#deep-link').textContent = pairing.deepLink ?? '';
  $('#pairing-code').textContent = pairing.code;
  $('#pairing-code-inline').textContent = pairing.code;
  return startPolling();
}

function startPolling() {
  if (pollTimer !== null) return;
  pollTimer = setInterval(async () => {
    const result = await ask('collectPairing').catch((error) => ({ state: 'pending', error: error.message }));
    $('#pairing-state').textContent = result.error ? `Waiting for Telegram… (${result.error})` : 'Waiting for Telegram…';
    if (result.state === 'pending') return;
    stopPolling();
    if (result.state === 'expired') fail('The pairing code expired. Press "Link with Telegram" again.');
    await render();
  }, PAIRING_POLL_MS);
}

function stopPolling() {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

/**
 * Checks and saves the server address, asking for access to its host first.
 * The permission request must be the first await: browsers only allow it
 * during the click that asked for it. A linked browser asks before it moves:
 * the token and the queue stay with the old server (engine changeServer).
 */
async function useServerUrl() {
  const text = $('#server-url', HTMLInputElement).value;
  const url = normalizeServerUrl(text);
  if (!url) {
    fail(serverUrlProblem(text) ?? 'Enter an address starting with https://.');
    return null;
  }
  const { protocol, hostname, host } = new URL(url);
  const granted = await chrome.permissions.request({ origins: [`${protocol}//${hostname}/*`] }).catch(() => false);
  if (!granted) {
    fail(`Quality Time needs access to ${host} to talk to this server.`);
    return null;
  }
  const [settings, status] = await Promise.all([loadSettings(), ask('status')]);
  if (status.linked && url !== settings.serverUrl && !confirm(MOVE_WARNING(settings.serverUrl, url))) {
    $('#server-url', HTMLInputElement).value = settings.serverUrl;
    return null;
  }
  await ask('changeServer', { serverUrl: url });
  fail(null);
  return url;
}

/**
 * @param {string} from
 * @param {string} to
 */
const MOVE_WARNING = (from, to) =>
  `Use ${to} instead of ${from}? This browser will be unlinked, and events not yet sent to ${from} are dropped. ` +
  'You can link again with the new server.';

/** The name typed in the options, or "Chrome on Linux". */
async function chosenName() {
  const name = $('#device-name', HTMLInputElement).value.trim() || deviceName();
  await saveSettings({ deviceName: name });
  return name;
}

async function linkWithTelegram() {
  if (!(await useServerUrl())) return;
  const result = await ask('startPairing', { deviceName: await chosenName(), timezone: timezone() });
  if (!result.ok) return fail(`Could not start linking: ${result.error}`);
  return renderPairing(result.pairing);
}

/** @type {Record<number, string>} */
const REDEEM_ERRORS = {
  404: 'Unknown code. Check it, or send /link to the bot for a new one.',
  410: 'That code expired. Send /link to the bot for a new one.',
  429: 'Too many attempts. Wait a minute and try again.',
};

async function redeem() {
  const code = $('#code', HTMLInputElement).value.trim();
  if (!code) return fail('Type the code the bot sent you.');
  if (!(await useServerUrl())) return;
  const result = await ask('redeemCode', { code, deviceName: await chosenName(), timezone: timezone() });
  if (!result.ok) return fail(REDEEM_ERRORS[result.status] ?? `Could not link: ${result.error}`);
  $('#code', HTMLInputElement).value = '';
  return render();
}

async function unlink() {
  if (!confirm('Unlink this browser? It stops recording, and its unsent events are sent first.')) return;
  const result = await ask('unlink');
  fail(result.ok || result.status === 401 ? null : `The server did not confirm (${result.error}); this browser forgot its token anyway.`);
  await render();
}

async function savePrivacy() {
  const excludedHosts = parseHostList($('#excluded', HTMLTextAreaElement).value);
  await saveSettings({ excludedHosts, trackTitles: $('#track-titles', HTMLInputElement).checked });
  $('#excluded', HTMLTextAreaElement).value = excludedHosts.join('\n');
  show($('#privacy-saved'), true);
  setTimeout(() => show($('#privacy-saved'), false), 2000);
}

/**
 * @param {string} selector
 * @param {() => Promise<unknown>} handler
 */
function on(selector, handler) {
  $(selector).addEventListener('click', () => handler().catch((error) => fail(error.message)));
}

$('#device-name').addEventListener('input', () => chosenName().catch((error) => fail(error.message)));
on('#save-server', useServerUrl);
on('#link-telegram', linkWithTelegram);
on('#redeem', redeem);
on('#unlink', unlink);
on('#save-privacy', savePrivacy);
on('#cancel-pairing', async () => {
  await ask('cancelPairing');
  await render();
});

const initial = await loadSettings();
$('#excluded', HTMLTextAreaElement).value = initial.excludedHosts.join('\n');
$('#track-titles', HTMLInputElement).checked = initial.trackTitles;
onAnyChange(() => render().catch((error) => fail(error.message)));
await render().catch((error) => fail(error.message));
