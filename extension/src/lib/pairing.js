// @ts-check
// Linking this browser to a Telegram user, either way round:
//  - a pairing: the API gives a t.me deep link; once the user opens it, the bot
//    binds the pairing and the next poll collects this device's token;
//  - a code the bot gave with /link, typed into the options page.
// The pending pairing is kept in storage, so the alarm still collects the token
// when the options page was closed after opening the link.

import { parseIso } from './session.js';

/** @import { ApiResponse, EngineBase, Pairing } from './types.js' */

const FALLBACK_TTL_MS = 10 * 60 * 1000;

/** @typedef {{ state: 'none' | 'pending' | 'linked' | 'expired', pairing?: Pairing, error?: string | null }} PairingPoll */

/** @param {EngineBase} base */
export function createPairingFlow(base) {
  const { storage, load, apiFor, now } = base;
  /** @type {Promise<PairingPoll> | null} */
  let collecting = null;

  /**
   * The token is bound to the address that issued it (settings.js readSettings).
   * @param {{ token: string, device_id?: number | null }} data
   * @param {string} serverUrl
   */
  async function storeToken(data, serverUrl) {
    await storage.set({ token: data.token, tokenServerUrl: serverUrl, deviceId: data.device_id ?? null });
    await storage.remove(['pairing']);
  }

  /**
   * @param {string} deviceName
   * @param {string} timezone
   * @returns {Promise<ApiResponse & { pairing: Pairing | null }>}
   */
  async function startPairing(deviceName, timezone) {
    const { settings } = await load();
    const response = await apiFor(settings).createPairing(deviceName, timezone);
    if (!response.ok || !response.data?.id) return { ...response, pairing: null };
    const { id, code, deep_link: deepLink, expires_at: expiresAt } = response.data;
    const pairing = { id, code, deepLink, expiresAt: parseIso(expiresAt) ?? now() + FALLBACK_TTL_MS };
    await storage.set({ pairing });
    return { ...response, pairing };
  }

  /**
   * One poll of the pending pairing. state: none | pending | linked | expired.
   * @returns {Promise<PairingPoll>}
   */
  async function poll() {
    const { values, settings } = await load();
    const pairing = values.pairing ?? null;
    if (settings.token || !pairing) {
      if (pairing) await storage.remove(['pairing']);
      return { state: settings.token ? 'linked' : 'none' };
    }
    if (now() > pairing.expiresAt) {
      await storage.remove(['pairing']);
      return { state: 'expired' };
    }
    const response = await apiFor(settings).getPairing(pairing.id);
    const status = response.data?.status;
    if (response.ok && status === 'completed' && response.data.token) {
      await storeToken(response.data, settings.serverUrl);
      return { state: 'linked' };
    }
    // "collected": the token was handed out already and is shown only once.
    if (response.status === 404 || response.status === 410 || status === 'collected') {
      await storage.remove(['pairing']);
      return { state: 'expired' };
    }
    return { state: 'pending', pairing, error: response.ok ? null : response.error };
  }

  /** Concurrent polls (options page and alarm) share one request. */
  function collectPairing() {
    if (!collecting) collecting = poll().finally(() => (collecting = null));
    return collecting;
  }

  /**
   * @param {unknown} code
   * @param {string} deviceName
   * @param {string} timezone
   */
  async function redeemCode(code, deviceName, timezone) {
    const { settings } = await load();
    const response = await apiFor(settings).redeemCode(String(code ?? '').trim(), deviceName, timezone);
    if (response.ok && response.data?.token) await storeToken(response.data, settings.serverUrl);
    return response;
  }

  const cancelPairing = () => storage.remove(['pairing']);

  return { startPairing, collectPairing, redeemCode, cancelPairing };
}
