// @ts-check
// The shapes of the extension's state, as JSDoc types for `tsc --noEmit`
// (npm run lint). Import them with `/** @import { Name } from './types.js' */`.
// Nothing here runs: times are epoch milliseconds, all values plain JSON.

/**
 * Anything shaped like chrome.storage.local (or .session); tests pass a Map-backed one.
 * @typedef {object} Storage
 * @property {(keys: string[]) => Promise<StoredValues>} get
 * @property {(values: StoredValues) => Promise<void>} set
 * @property {(keys: string[]) => Promise<void>} remove
 */

/**
 * The chrome.storage.local keys (documented in background.js); any may be absent.
 * @typedef {object} StoredValues
 * @property {string} [serverUrl]
 * @property {string} [token]
 * @property {string} [tokenServerUrl]
 * @property {number | null} [deviceId]
 * @property {string} [deviceName]
 * @property {string[]} [excludedHosts]
 * @property {boolean} [trackTitles]
 * @property {Partial<TrackerState>} [tracker] the durable part (tracker.js splitState)
 * @property {Partial<TrackerState>} [trackerView] the memory-only part, in chrome.storage.session
 * @property {Partial<QueueState>} [queue]
 * @property {SessionView | null} [session]
 * @property {Partial<SyncState>} [sync]
 * @property {number} [clockSkewMs]
 * @property {Pairing} [pairing]
 */

/**
 * The user's settings, cleaned (settings.js readSettings).
 * @typedef {object} Settings
 * @property {string} serverUrl
 * @property {string | null} token null unless issued by serverUrl
 * @property {number | null} deviceId
 * @property {string | null} deviceName
 * @property {string[]} excludedHosts
 * @property {boolean} trackTitles
 */

/** @typedef {{ excludedHosts: string[], trackTitles: boolean }} TrackingConfig */

/**
 * A session as GET /v1/session (and the SSE stream) send it.
 * @typedef {object} SessionBody
 * @property {boolean} [active]
 * @property {number | null} [id]
 * @property {string | null} [goal]
 * @property {string | null} [started_at]
 * @property {string | null} [ends_at]
 * @property {string} [server_time]
 * @property {boolean} [track_titles]
 * @property {unknown[]} [excluded_hosts]
 */

/**
 * The stored copy of the session, for the popup (session.js sessionView).
 * @typedef {object} SessionView
 * @property {boolean} active
 * @property {number | null} id
 * @property {string | null} goal
 * @property {number | null} startedAt
 * @property {number | null} endsAt
 * @property {boolean} trackTitles
 * @property {string[]} excludedHosts
 */

/** @typedef {'active' | 'idle' | 'locked'} IdleState */

/** @typedef {{ id: number | null, start: number, end: number }} TrackerSession */

/**
 * The active tab as the tracker keeps it; host null = never recorded.
 * @typedef {object} TrackedTab
 * @property {number | null} tabId
 * @property {string | null} host
 * @property {string | null} title
 * @property {boolean} audible
 * @property {boolean} private
 */

/** @typedef {{ host: string, title: string | null, idle: boolean }} Candidate */

/** @typedef {Candidate & { audible: boolean, start: number, end: number }} Span */

/** @typedef {Candidate & { id: string, audible: boolean, start: number }} OpenEvent */

/** A closed event, as queued and sent (api.js toWire). @typedef {OpenEvent & { end: number }} TrackedEvent */

/** @typedef {TrackedEvent & { attempted?: boolean }} QueuedEvent */

/** @typedef {{ items: QueuedEvent[], dropped: number }} QueueState */

/**
 * The tracker's state (tracker.js); session, known, open and lastSeen are durable.
 * @typedef {object} TrackerState
 * @property {TrackerSession | null} session while a session is active
 * @property {{ id: number | null, from: number } | null} known the last session seen, and until when
 * @property {TrackedTab | null} tab
 * @property {boolean} focused
 * @property {IdleState} idle
 * @property {Candidate | null} candidate what would be recorded now if a session were on
 * @property {number | null} since when the candidate last changed
 * @property {Span[]} recent the last few minutes (timeline.js), memory only
 * @property {OpenEvent | null} open
 * @property {number | null} lastSeen
 */

/**
 * 'tab': the focused window's active tab; `focused` (when given) is Chrome's own window
 * focus, read with it. 'tabUpdated': ignored unless it is that tab.
 * @typedef {{ type: 'tab' | 'tabUpdated', tabId: number | null, host: string | null, title: string | null,
 *   audible: boolean, private?: boolean, focused?: boolean, at?: number }} TabSignal
 * @typedef {{ type: 'session', active: true, id: number | null, start: number, end: number, at?: number }
 *   | { type: 'session', active: false, at?: number }} SessionSignal
 */

/**
 * What the tracker reacts to (tracker.js step); `at` is when it really happened, if before now.
 * 'focus': a browser window has focus or none; 'idle': `at` is when the user went away;
 * 'startup': the browser was restarted, the open event ended at lastSeen;
 * 'tick' and 'config': re-evaluate (the session's end, changed settings).
 * @typedef {TabSignal | SessionSignal
 *   | { type: 'focus', focused: boolean, at?: number }
 *   | { type: 'idle', state: IdleState, at?: number }
 *   | { type: 'startup' | 'tick' | 'config', at?: number }} Signal
 */

/**
 * @typedef {object} StepContext
 * @property {number} now server time
 * @property {() => string} newId
 * @property {string[]} [excludedHosts]
 * @property {boolean} [trackTitles]
 * @property {number} [staleMs]
 */

/** @typedef {'unpaired' | 'ok' | 'offline' | 'error' | 'unlinked'} SyncStatus */

/**
 * The sync record (sync.js): back-off and the last contact.
 * @typedef {object} SyncState
 * @property {SyncStatus} status
 * @property {number} attempt
 * @property {number} nextAt
 * @property {number | null} failedWith the HTTP status of the last failed flush, 0 = unreachable
 * @property {number | null} lastSyncAt
 * @property {number | null} lastContactAt
 * @property {string | null} lastError
 */

/**
 * What every api.js call resolves to; status 0 = unreachable. `data` is the parsed JSON body.
 * @typedef {{ ok: boolean, status: number, data: any, error: string | null }} ApiResponse
 */

/**
 * @typedef {object} FlushResult
 * @property {'ok' | 'retry' | 'unauthorized'} outcome
 * @property {number} sent
 * @property {number} accepted
 * @property {number} duplicates
 * @property {number} rejected
 * @property {number | null} status
 * @property {string | null} error
 */

/** A pending pairing (pairing.js). @typedef {{ id: string, code: string, deepLink: string | null, expiresAt: number }} Pairing */

/**
 * What the popup's status line says (status.js).
 * @typedef {{ recording: true, host: string, idle: boolean, goal: string, minutesLeft: number }
 *   | { recording: false, reason: PauseReason }} RecordingState
 * @typedef {'no-session' | 'incognito' | 'not-focused' | 'idle' | 'not-web' | 'excluded' | 'not-linked'} PauseReason
 */

/**
 * What engine.js load() reads afresh on every call.
 * @typedef {object} Loaded
 * @property {StoredValues} values
 * @property {Settings} settings
 * @property {SessionView | null} session
 * @property {SyncState} sync
 * @property {number} skew server clock minus local clock
 * @property {number} serverNow
 */

/**
 * What the engine's parts share (recorder.js, link.js, pairing.js); built in engine.js.
 * @typedef {object} EngineBase
 * @property {Storage} storage chrome.storage.local
 * @property {Storage} memory chrome.storage.session
 * @property {import('./serial.js').Serial} serial
 * @property {import('./queue.js').Queue} queue
 * @property {() => Promise<Loaded>} load
 * @property {(change: (sync: SyncState) => SyncState) => Promise<void>} updateSync
 * @property {(settings: Settings) => import('./api.js').Api} apiFor
 * @property {() => number} now
 * @property {() => number} random
 * @property {() => string} newId
 * @property {number | undefined} staleMs
 * @property {(callback: () => void, ms: number) => number} setTimer
 * @property {(timer: number) => void} clearTimer
 */

export {};
