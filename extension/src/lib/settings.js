// @ts-check
// Storage keys and the settings the user controls. See background.js for the
// full list of chrome.storage.local keys.

import { parseHostList } from './hosts.js';

/** @import { SessionView, Settings, StoredValues, TrackingConfig } from './types.js' */

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8000';

/** Keys the user (options page), the pairing or a test may write; the worker reacts to them. */
export const SETTINGS_KEYS = ['serverUrl', 'token', 'tokenServerUrl', 'deviceId', 'deviceName', 'excludedHosts', 'trackTitles'];

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * The token counts only for the server that issued it (`tokenServerUrl`): after
 * any change of address it is never sent anywhere (see link.js changeServer).
 * @param {StoredValues} values
 * @returns {Settings}
 */
export function readSettings(values) {
  const serverUrl = normalizeServerUrl(values.serverUrl) ?? DEFAULT_SERVER_URL;
  const issuedHere = normalizeServerUrl(values.tokenServerUrl) === serverUrl;
  return {
    serverUrl,
    token: typeof values.token === 'string' && values.token !== '' && issuedHere ? values.token : null,
    deviceId: values.deviceId ?? null,
    deviceName: typeof values.deviceName === 'string' && values.deviceName.trim() !== '' ? values.deviceName.trim() : null,
    excludedHosts: Array.isArray(values.excludedHosts) ? parseHostList(values.excludedHosts.join('\n')) : [],
    trackTitles: values.trackTitles === true,
  };
}

/**
 * Why an address cannot be used, or null when it can.
 * @param {unknown} text
 * @returns {string | null}
 */
export function serverUrlProblem(text) {
  let url;
  try {
    url = new URL(String(text ?? '').trim());
  } catch {
    return 'Enter an address starting with https:// (or http:// for this computer).';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol !== 'http:') return 'Enter an address starting with https:// (or http:// for this computer).';
  // The token travels with every request: in clear text only to this computer.
  return LOOPBACK.test(url.hostname) ? null : 'Use https:// for a server on another computer: the device token must not travel in clear text.';
}

/**
 * "https://qtime.example.com/" → "https://qtime.example.com"; null if not usable (see serverUrlProblem).
 * @param {unknown} text
 * @returns {string | null}
 */
export function normalizeServerUrl(text) {
  if (typeof text !== 'string' || text.trim() === '' || serverUrlProblem(text) !== null) return null;
  const url = new URL(text.trim());
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * What the tracker may record: the user's excluded hosts plus the server's,
 * and titles only when the user turned them on AND the server allows them.
 * @param {Settings} settings
 * @param {SessionView | null | undefined} session
 * @returns {TrackingConfig}
 */
export function trackingConfig(settings, session) {
  return {
    excludedHosts: [...new Set([...settings.excludedHosts, ...(session?.excludedHosts ?? [])])],
    trackTitles: settings.trackTitles && Boolean(session?.trackTitles),
  };
}
