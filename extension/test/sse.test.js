import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSseParser, readSse } from '../src/lib/sse.js';

function parse(chunks) {
  const events = [];
  const parser = createSseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

describe('SSE parser', () => {
  it('parses named events with JSON data', () => {
    const events = parse(['event: session\ndata: {"active":true}\n\nevent: analysis\ndata: {"review_id":3}\n\n']);
    assert.deepEqual(events, [
      { event: 'session', data: '{"active":true}' },
      { event: 'analysis', data: '{"review_id":3}' },
    ]);
  });

  it('handles chunks split anywhere, CRLF, comments and multi-line data', () => {
    const text = ': keep-alive\r\n\r\nevent: session\r\ndata: line one\r\ndata:line two\r\n\r\ndata: plain\n\n';
    const whole = parse([text]);
    assert.deepEqual(whole, [
      { event: 'session', data: 'line one\nline two' },
      { event: 'message', data: 'plain' },
    ]);
    for (let cut = 1; cut < text.length; cut += 1) {
      assert.deepEqual(parse([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
    }
  });

  it('discards a message cut off by the end of the stream', () => {
    assert.deepEqual(parse(['event: session\ndata: {"a":1}\n']), []);
  });

  it('reads a fetch body stream', async () => {
    const bytes = new TextEncoder().encode('event: session\ndata: {"active":false}\n\n');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    const events = [];
    await readSse(stream, (e) => events.push(e));
    assert.deepEqual(events, [{ event: 'session', data: '{"active":false}' }]);
  });
});
