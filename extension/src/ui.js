// @ts-check
// Helpers shared by the popup and the options page.

/** @import { Handlers } from './background.js' */
/** @import { SyncState, SyncStatus } from './lib/types.js' */

/**
 * Asks the service worker to do something; resolves to its result or throws its error.
 * @template {keyof Handlers} K
 * @param {K} type
 * @param {Parameters<Handlers[K]>[0]} [payload]
 * @returns {Promise<Awaited<ReturnType<Handlers[K]>>>}
 */
export async function ask(type, payload) {
  const reply = await chrome.runtime.sendMessage({ type, ...payload });
  if (!reply?.ok) throw new Error(reply?.error ?? 'The extension did not answer.');
  return reply.result;
}

/**
 * The page's element for `selector`, checked to be a `kind` (HTMLElement unless given).
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} selector
 * @param {{ new (): E, name: string }} [kind]
 * @returns {E}
 */
export function $(selector, kind) {
  const element = document.querySelector(selector);
  if (!(element instanceof (kind ?? HTMLElement))) throw new Error(`This page has no ${kind?.name ?? 'element'} ${selector}.`);
  return /** @type {E} */ (element);
}

/**
 * @param {HTMLElement} element
 * @param {boolean} visible
 */
export function show(element, visible) {
  element.hidden = !visible;
}

/** The browser's IANA time zone, sent when linking so the bot knows local time. */
export function timezone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** "Chrome on Linux": how this device appears in the bot's /devices list. */
export function deviceName() {
  const agent = navigator.userAgent;
  const browser = /Firefox\//.test(agent) ? 'Firefox' : /Edg\//.test(agent) ? 'Edge' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : 'Browser';
  // userAgentData is Chromium's (not in every browser, nor in TypeScript's DOM types).
  const hints = /** @type {{ userAgentData?: { platform?: string } }} */ (navigator).userAgentData;
  const platform = hints?.platform || (/Mac/.test(agent) ? 'macOS' : /Win/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '');
  return platform ? `${browser} on ${platform}` : browser;
}

/** @param {number | null | undefined} ms */
export function clockTime(ms) {
  return ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '—';
}

/** @type {Record<SyncStatus, string>} */
const STATUS_TEXT = {
  ok: 'connected',
  offline: 'offline — will retry',
  error: 'server error — will retry',
  unlinked: 'unlinked — link again in the options',
  unpaired: 'not linked',
};

/**
 * @param {Partial<SyncState> | null | undefined} sync
 * @param {boolean} linked
 */
export function connectionText(sync, linked) {
  if (!linked) return sync?.status === 'unlinked' ? STATUS_TEXT.unlinked : STATUS_TEXT.unpaired;
  return (sync?.status && STATUS_TEXT[sync.status]) || 'connecting…';
}
