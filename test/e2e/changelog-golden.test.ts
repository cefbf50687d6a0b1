/**
 * Golden scenarios: fixtures/changelog/scenario.mjs builds a repository with pinned dates (so the
 * commit hashes are fixed), and `friday changelog` must print exactly the files in expected/.
 * After an intended change of the output: UPDATE_GOLDEN=1 npx vitest run test/e2e/changelog-golden.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runFriday, tmpDir } from '../helpers/index.js';
// @ts-expect-error a plain ESM script shipped with the fixtures
import { buildScenario, NOW, QUIET_NOW } from '../../fixtures/changelog/scenario.mjs';

const EXPECTED = join(ROOT, 'fixtures/changelog/expected');

function golden(name: string, actual: string): void {
  const path = join(EXPECTED, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe.each([
  { stage: 'week48', now: NOW as string },
  { stage: 'quiet', now: QUIET_NOW as string },
])('golden scenario $stage', ({ stage, now }) => {
  it('prints the expected CHANGELOG.md and changelog.json', async () => {
    const repo = buildScenario(tmpDir('friday-golden-'), stage) as string;
    const md = await runFriday(['changelog', '-C', repo, '--now', now]);
    expect(md.code, md.stderr).toBe(0);
    golden(`${stage}.CHANGELOG.md`, md.stdout);
    const json = await runFriday(['changelog', '-C', repo, '--now', now, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    golden(`${stage}.changelog.json`, json.stdout);
    // --json prints the same document as --format json.
    const doc = await runFriday(['changelog', '-C', repo, '--now', now, '--json']);
    expect(doc.json).toEqual(JSON.parse(json.stdout));
    if (stage === 'week48') expect(md.stderr).toContain('1 issue reference not found in issues.json: #999');
  });
});
