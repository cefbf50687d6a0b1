/**
 * The skim must never accept a file that validation refuses, and must find each issue where the
 * parser does. Checked on hand-picked cases and on thousands of random mutations of a valid file.
 */
import { describe, expect, it } from 'vitest';
import { zonedTimeOf } from '../../src/client/time.js';
import { issueAt, skimIssues } from '../../src/core/votes/skim.js';
import { validateIssues } from '../../src/core/votes/validate.js';
import { prng } from '../helpers/index.js';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

function fullParse(text: string): Map<number, unknown> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const v = validateIssues(raw);
  return v.ok ? new Map(v.issues.map((i) => [i.id, i])) : null;
}

/** When the skim accepts, validation accepts and every issue parses to the same value. */
function agrees(text: string): 'skimmed' | 'doubted' {
  const b = bytes(text);
  const index = skimIssues(b);
  if (index === null) return 'doubted';
  // The file is bytes: a mutation that split a surrogate pair was written as U+FFFD, so validation
  // reads the same decoded bytes the command would.
  const full = fullParse(new TextDecoder().decode(b));
  expect(full, `skim accepted a file validation refuses:\n${text}`).not.toBeNull();
  expect([...index.keys()].sort()).toEqual([...full!.keys()].sort());
  for (const [id, at] of index) expect(issueAt(b, at)).toEqual(full!.get(id));
  return 'skimmed';
}

const VALID = `[
  { "id": 123, "title": "Show the time \\"answered\\" — 📞", "type": "feature", "author": "mifan_42",
    "votes": [ { "user": "mifan_42", "tier": "lead", "at": "2026-11-20T10:00:00Z" },
               { "user": "u2", "value": -1 }, { "user": "u3", "at": "2026-11-20T12:00:00+02:00", "note": [1, {"a": null}] } ] },
  { "id": 124, "title": "Wi-Fi drops after sleep", "type": "bug", "author": null, "votes": 17, "labels": ["x", true, false, -1.5e3] },
  {"id":125,"title":"bare"},
  { "id": 126, "pull": true, "closes": [124, 125] }, { "id": 127, "title": "feat: call time", "pull": false },
  {"id":128,"pull":true,"closes":[]}
]`;

describe('skimIssues', () => {
  it('indexes a valid file and parses each issue as JSON.parse does', () => {
    expect(agrees(VALID)).toBe('skimmed');
    expect(skimIssues(bytes(VALID))!.size).toBe(6);
    expect(agrees('[]')).toBe('skimmed');
    expect(agrees(' \n[ ]\n')).toBe('skimmed');
  });

  it('gives up on every kind of problem, leaving the message to validation', () => {
    const bad = [
      '',
      '{}',
      '[',
      '[{"id":1,"title":"a"},]',
      '[{"id":1,"title":"a"}] x',
      '[{"id":1,"title":"a"},{"id":1,"title":"b"}]',
      '[{"id":0,"title":"a"}]',
      '[{"id":"1","title":"a"}]',
      '[{"id":1}]',
      '[{"id":1,"title":"a","type":""}]',
      '[{"id":1,"title":"a","author":""}]',
      '[{"id":1,"title":"a","votes":-1}]',
      '[{"id":1,"title":"a","votes":[{"value":1}]}]',
      '[{"id":1,"title":"a","votes":[{"user":""}]}]',
      '[{"id":1,"title":"a","votes":[{"user":"u","value":2}]}]',
      '[{"id":1,"title":"a","votes":[{"user":"u","value":"1"}]}]',
      '[{"id":1,"title":"a","votes":[{"user":"u","tier":null}]}]',
      '[{"id":1,"title":"a","votes":[{"user":"u","at":"2026-02-30T00:00:00Z"}]}]',
      '[{"id":1,"title":"a","votes":[{"user":"u","at":"2026-11-20T10:00:00"}]}]',
      '[{"id":1,"title":"a\u0001"}]',
      '[{"id":1,"title":"a\\q"}]',
      '[{"id":1,"pull":false}]',
      '[{"id":1,"pull":"yes"}]',
      '[{"id":1,"title":"a","closes":[2]}]',
      '[{"id":1,"pull":true,"closes":[0]}]',
      '[{"id":1,"pull":true,"closes":2}]',
      '[{"id":1,"pull":true,"closes":[2,]}]',
    ];
    for (const text of bad) {
      expect(skimIssues(bytes(text)), text).toBeNull();
      expect(fullParse(text), text).toBeNull();
    }
  });

  it('leaves what it is unsure of to the full parse, which may accept it', () => {
    // An escaped key, a repeated issue key, numbers written as 1.0 / 1e0: valid, but not skimmed.
    for (const text of [
      '[{"\\u0069d":1,"title":"a"}]',
      '[{"id":1,"title":"a","title":"b"}]',
      '[{"id":1.0,"title":"a","votes":[{"user":"u","value":1.0}]}]',
    ]) {
      expect(agrees(text)).toBe('doubted');
      expect(fullParse(text), text).not.toBeNull();
    }
  });

  it('checks vote times exactly as zonedTimeOf does', () => {
    const r = prng(11);
    const rnd = (n: number) => Math.floor(r() * n);
    const chars = '0123456789-:TZ +x';
    for (let i = 0; i < 3000; i++) {
      const base = [...'2028-02-29T23:59:59Z'];
      for (let k = 0, edits = 1 + rnd(2); k < edits; k++) base[rnd(base.length)] = i % 3 ? String(rnd(10)) : chars[rnd(chars.length)]!;
      const at = base.join('');
      const text = `[{"id":1,"title":"t","votes":[{"user":"u","at":${JSON.stringify(at)}}]}]`;
      expect(skimIssues(bytes(text)) !== null, at).toBe(!Number.isNaN(zonedTimeOf(at)));
    }
  });

  it('checks an issue’s createdAt as validation does, and refuses it twice or not a string', () => {
    const at = (v: string) => `[{"id":1,"title":"t","createdAt":${v}}]`;
    expect(skimIssues(bytes(at('"2026-11-20T10:00:00Z"')))?.size).toBe(1);
    expect(skimIssues(bytes(at('"2026-11-20T10:00:00+01:00"')))?.size).toBe(1);
    for (const bad of ['"2026-13-20T10:00:00Z"', '"yesterday"', '5', 'null', '"2026-11-20T10:00:00Z","createdAt":"2026-11-20T10:00:00Z"']) {
      expect(skimIssues(bytes(at(bad))), bad).toBeNull();
    }
    expect(validateIssues(JSON.parse(at('"yesterday"')))).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('issues[0] (id 1).createdAt: must be an ISO 8601 time')],
    });
  });

  it('agrees with validation on thousands of random mutations', () => {
    const rnd = prng(7);
    const pieces = [
      '"',
      ',',
      '}',
      ']',
      '{',
      '[',
      ':',
      '1',
      '-1',
      '2',
      '0',
      'null',
      '""',
      '"x"',
      ' ',
      '\\',
      '"user"',
      '"value"',
      '"at"',
      '"id"',
      '"votes"',
      '"2026-11-20T10:00:00Z"',
      '"2026-02-29T00:00:00Z"',
      '"pull"',
      '"closes"',
      'true',
      'false',
      '[3]',
    ];
    let skimmed = 0;
    for (let i = 0; i < 4000; i++) {
      let text = VALID;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rnd() * text.length);
        const cut = Math.floor(rnd() * 4);
        text = text.slice(0, at) + pieces[Math.floor(rnd() * pieces.length)] + text.slice(at + cut);
      }
      if (agrees(text) === 'skimmed') skimmed++;
    }
    expect(skimmed).toBeGreaterThan(100); // some mutations stay valid and are skimmed
  });
});
