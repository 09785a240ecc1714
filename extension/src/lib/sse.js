// @ts-check
// A Server-Sent Events reader for fetch() responses. EventSource cannot send an
// Authorization header, so the popup reads the stream itself.

/** @typedef {{ event: string, data: string }} SseMessage */

/**
 * Returns push(text) and end(); calls onEvent({ event, data }) per message.
 * @param {(message: SseMessage) => unknown} onEvent
 */
export function createSseParser(onEvent) {
  let buffer = '';
  let eventName = '';
  /** @type {string[]} */
  let data = [];

  function dispatch() {
    if (data.length > 0) onEvent({ event: eventName || 'message', data: data.join('\n') });
    eventName = '';
    data = [];
  }

  /** @param {string} text */
  function line(text) {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return undefined; // comment / keep-alive
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventName = value;
    else if (field === 'data') data.push(value);
    return undefined;
  }

  return {
    /** @param {string} text */
    push(text) {
      buffer += text;
      const pattern = /\r\n|\r|\n/g;
      let start = 0;
      let match;
      while ((match = pattern.exec(buffer)) !== null) {
        // A lone "\r" at the very end may be the first half of "\r\n".
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        line(buffer.slice(start, match.index));
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
    },
    /** The stream ended: a message without its closing blank line is discarded, as in the spec. */
    end() {
      buffer = '';
      eventName = '';
      data = [];
    },
  };
}

/**
 * Reads a byte stream to its end, calling onEvent for each SSE message.
 * @param {ReadableStream<BufferSource>} stream
 * @param {(message: SseMessage) => unknown} onEvent
 */
export async function readSse(stream, onEvent) {
  const parser = createSseParser(onEvent);
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
}
