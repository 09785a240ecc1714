// @ts-check
// Helpers shared by the popup and the options page.

/** Asks the service worker to do something; resolves to its result or throws its error. */
export async function ask(type, payload = {}) {
  const reply = await chrome.runtime.sendMessage({ type, ...payload });
  if (!reply?.ok) throw new Error(reply?.error ?? 'The extension did not answer.');
  return reply.result;
}

export const $ = (selector) => document.querySelector(selector);

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
  const platform = navigator.userAgentData?.platform || (/Mac/.test(agent) ? 'macOS' : /Win/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '');
  return platform ? `${browser} on ${platform}` : browser;
}

export function clockTime(ms) {
  return ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '—';
}

const STATUS_TEXT = {
  ok: 'connected',
  offline: 'offline — will retry',
  error: 'server error — will retry',
  unlinked: 'unlinked — link again in the options',
  unpaired: 'not linked',
};

export function connectionText(sync, linked) {
  if (!linked) return sync?.status === 'unlinked' ? STATUS_TEXT.unlinked : STATUS_TEXT.unpaired;
  return STATUS_TEXT[sync?.status] ?? 'connecting…';
}
