// Runs async tasks one after another. The service worker's listeners fire
// concurrently and each one reads, changes and writes storage; without this,
// a tab switch and a focus change arriving together would lose an update.

export function createSerial() {
  let tail = Promise.resolve();
  return function serial(task) {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
