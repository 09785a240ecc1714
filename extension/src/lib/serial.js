// @ts-check
// Runs async tasks one after another. The service worker's listeners fire
// concurrently and each one reads, changes and writes storage; without this,
// a tab switch and a focus change arriving together would lose an update.

/** @typedef {<T>(task: () => T | Promise<T>) => Promise<T>} Serial */

/** @returns {Serial} */
export function createSerial() {
  /** @type {Promise<unknown>} */
  let tail = Promise.resolve();
  return function serial(task) {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
