// @ts-check
// The only module that touches chrome.storage. Every other module receives
// `storage` (shaped like chrome.storage.local) or goes through these helpers.

import { readSettings, SETTINGS_KEYS } from './lib/settings.js';

/** @import { Storage, StoredValues } from './lib/types.js' */

/** @type {Storage} */
export const storage = chrome.storage.local;

/**
 * In memory only: cleared when the browser closes, never written to disk.
 * @type {Storage}
 */
export const memory = chrome.storage.session;

export async function loadSettings() {
  return readSettings(await storage.get(SETTINGS_KEYS));
}

/**
 * Writes user settings (options page). Only keys in SETTINGS_KEYS are accepted.
 * @param {StoredValues} values
 */
export async function saveSettings(values) {
  const allowed = Object.fromEntries(Object.entries(values).filter(([key]) => SETTINGS_KEYS.includes(key)));
  await storage.set(allowed);
}

/**
 * Calls listener(keys) when user settings change, from any page or a test.
 * @param {(keys: string[]) => void} listener
 */
export function onSettingsChanged(listener) {
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    const keys = Object.keys(changes).filter((key) => SETTINGS_KEYS.includes(key));
    if (keys.length > 0) listener(keys);
  });
}

/**
 * Calls listener() when anything the popup or options page shows changes.
 * @param {() => void} listener
 */
export function onAnyChange(listener) {
  chrome.storage.onChanged.addListener((_changes, area) => {
    if (area === 'local') listener();
  });
}
