// @ts-check
// Host extraction and the rules for what may never be recorded.
// Only the hostname of an http(s) page is kept: never a path, query or fragment.

const RECORDABLE_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * The lowercased hostname of a web page, or null when the URL must not be
 * recorded at all (browser pages, extensions, files, data: URLs, ...).
 * An allow-list of protocols, so schemes we never heard of are refused too.
 * @param {unknown} url
 * @returns {string | null}
 */
export function hostOf(url) {
  if (typeof url !== 'string' || url === '') return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!RECORDABLE_PROTOCOLS.has(parsed.protocol)) return null;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  return host === '' ? null : host;
}

/**
 * Cleans one line a user typed into the exclude list: accepts "example.com",
 * "*.example.com", ".example.com" or a pasted URL; returns a bare host or null.
 * @param {unknown} line
 * @returns {string | null}
 */
export function normalizeHostPattern(line) {
  let text = String(line ?? '').trim().toLowerCase();
  if (text === '' || text.startsWith('#')) return null;
  if (text.includes('://')) {
    const host = hostOf(text);
    if (host === null) return null;
    text = host;
  }
  text = text.replace(/^\*\./, '').replace(/^\.+/, '').replace(/[/?#].*$/, '');
  text = text.replace(/:\d+$/, '').replace(/\.$/, '');
  return /^[a-z0-9.\-[\]:_]+$/.test(text) ? text : null;
}

/**
 * Parses the options textarea (one host per line) into a sorted, unique list.
 * @param {unknown} text
 * @returns {string[]}
 */
export function parseHostList(text) {
  const hosts = String(text ?? '')
    .split(/[\n,\s]+/)
    .map(normalizeHostPattern)
    .filter((host) => host !== null);
  return [...new Set(hosts)].sort();
}

/**
 * True when host equals an excluded entry or is a subdomain of one.
 * @param {string | null | undefined} host
 * @param {readonly string[] | null | undefined} excludedHosts
 */
export function isExcluded(host, excludedHosts) {
  if (!host) return false;
  for (const entry of excludedHosts ?? []) {
    const pattern = normalizeHostPattern(entry);
    if (pattern && (host === pattern || host.endsWith(`.${pattern}`))) return true;
  }
  return false;
}
