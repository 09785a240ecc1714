// @ts-check
// Retry delays: exponential with "equal jitter", capped at five minutes.
// Half of each delay is fixed, so retries never bunch up near zero; the other
// half is random, so many browsers coming back online do not retry in step.

export const BACKOFF_BASE_MS = 2000;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;

/**
 * Delay before retry number `attempt` (1 = the first retry).
 * @param {number} attempt
 * @param {{ baseMs?: number, capMs?: number, random?: () => number }} [options]
 */
export function backoffDelay(attempt, { baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS, random = Math.random } = {}) {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
