import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { hostOf, isExcluded, normalizeHostPattern, parseHostList } from '../src/lib/hosts.js';

describe('hostOf', () => {
  it('keeps only the lowercased hostname of web pages', () => {
    assert.equal(hostOf('https://GitHub.com/user/repo?tab=issues#top'), 'github.com');
    assert.equal(hostOf('http://www.Example.org:8080/path'), 'www.example.org');
    assert.equal(hostOf('https://user:secret@mail.example.com/inbox'), 'mail.example.com');
    assert.equal(hostOf('https://example.com./'), 'example.com');
    assert.equal(hostOf('http://127.0.0.1:8000/x'), '127.0.0.1');
    assert.equal(hostOf('https://bücher.example/'), 'xn--bcher-kva.example');
  });

  it('never returns a path, a query or a fragment', () => {
    const host = hostOf('https://docs.example.com/private/report.pdf?token=abc#page=2');
    assert.equal(host, 'docs.example.com');
    assert.ok(!/[/?#=]/.test(host));
  });

  it('refuses browser, extension, file and other non-web URLs', () => {
    for (const url of [
      'chrome://settings/',
      'chrome://newtab/',
      'about:blank',
      'about:config',
      'chrome-extension://abcdefghijklmnop/options.html',
      'moz-extension://1234/popup.html',
      'edge://settings',
      'file:///home/me/notes.txt',
      'data:text/html,<h1>hi</h1>',
      'view-source:https://example.com/',
      'devtools://devtools/bundled/inspector.html',
      'blob:https://example.com/1234',
      'javascript:alert(1)',
      'ftp://example.com/file',
    ]) {
      assert.equal(hostOf(url), null, url);
    }
  });

  it('refuses garbage', () => {
    for (const url of ['', 'not a url', null, undefined, 42, 'https://']) assert.equal(hostOf(url), null, String(url));
  });
});

describe('exclude list', () => {
  it('normalises what users type or paste', () => {
    assert.equal(normalizeHostPattern('  YouTube.com '), 'youtube.com');
    assert.equal(normalizeHostPattern('*.reddit.com'), 'reddit.com');
    assert.equal(normalizeHostPattern('.news.ycombinator.com'), 'news.ycombinator.com');
    assert.equal(normalizeHostPattern('https://www.twitter.com/home?x=1'), 'www.twitter.com');
    assert.equal(normalizeHostPattern('example.com/some/path'), 'example.com');
    assert.equal(normalizeHostPattern('localhost:3000'), 'localhost');
    assert.equal(normalizeHostPattern('# a comment'), null);
    assert.equal(normalizeHostPattern(''), null);
    assert.equal(normalizeHostPattern('not a host!'), null);
  });

  it('parses the textarea into a sorted unique list', () => {
    assert.deepEqual(parseHostList('youtube.com\n\n*.Reddit.com\nyoutube.com\r\nbank.example'), [
      'bank.example',
      'reddit.com',
      'youtube.com',
    ]);
  });

  it('matches the host itself and its subdomains only', () => {
    const excluded = ['bank.example', 'reddit.com'];
    assert.ok(isExcluded('bank.example', excluded));
    assert.ok(isExcluded('online.bank.example', excluded));
    assert.ok(isExcluded('old.reddit.com', excluded));
    assert.ok(!isExcluded('notbank.example', excluded));
    assert.ok(!isExcluded('reddit.com.evil.example', excluded));
    assert.ok(!isExcluded('example', excluded));
    assert.ok(!isExcluded(null, excluded));
    assert.ok(!isExcluded('reddit.com', []));
  });
});
