// Storage keys and the settings the user controls. See background.js for the
// full list of chrome.storage.local keys.

import { parseHostList } from './hosts.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8000';

/** Keys the user (options page) or a test may write; the worker reacts to them. */
export const SETTINGS_KEYS = ['serverUrl', 'token', 'deviceId', 'excludedHosts', 'trackTitles'];

export function readSettings(values) {
  return {
    serverUrl: normalizeServerUrl(values.serverUrl) ?? DEFAULT_SERVER_URL,
    token: typeof values.token === 'string' && values.token !== '' ? values.token : null,
    deviceId: values.deviceId ?? null,
    excludedHosts: Array.isArray(values.excludedHosts) ? parseHostList(values.excludedHosts.join('\n')) : [],
    trackTitles: values.trackTitles === true,
  };
}

/** "https://qtime.example.com/" → "https://qtime.example.com"; null if not http(s). */
export function normalizeServerUrl(text) {
  if (typeof text !== 'string' || text.trim() === '') return null;
  try {
    const url = new URL(text.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

/**
 * What the tracker may record: the user's excluded hosts plus the server's,
 * and titles only when the user turned them on AND the server allows them.
 */
export function trackingConfig(settings, session) {
  return {
    excludedHosts: [...new Set([...settings.excludedHosts, ...(session?.excludedHosts ?? [])])],
    trackTitles: settings.trackTitles && Boolean(session?.trackTitles),
  };
}
