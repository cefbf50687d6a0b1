/**
 * The file sources: the issues file (`issues.source: "file"`) and the `votes.tiers` file, each
 * read, validated as a whole, and refused with one exit-2 error naming the file and every field.
 */
import { promises as fs } from 'node:fs';
import { errnoCode, usageError } from '../../errors.js';
import { issueAt, skimIssues } from '../../core/votes/skim.js';
import { validateIssues, validateTiers, type Issue } from '../../core/votes/validate.js';
import type { IssueLookup } from '../../core/changelog.js';
import type { IssueSet } from '../issues.js';

/** One error for a file's problems: the first on the line, all of them when there are several. */
function problemsError(label: string, problems: string[], more = 0) {
  const lines = problems.map((p) => `${label}: ${p}`);
  const rest = more > 0 ? `; and ${more} more` : '';
  const message = lines.length === 1 && !rest ? lines[0]! : `${lines.length + more} problems: ${lines.join('; ')}${rest}`;
  return usageError('E_ISSUES', message, 'fix the file and run again; nothing was written');
}

async function readBytes(path: string, label: string, hint: string): Promise<Buffer> {
  try {
    const buf = await fs.readFile(path);
    return buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
  } catch (err) {
    const code = errnoCode(err);
    throw usageError('E_ISSUES', `${label}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`, hint);
  }
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError('E_ISSUES', `${label}: not valid JSON (${(err as Error).message})`, 'fix the file and run again; nothing was written');
  }
}

/**
 * The issues file (`issues.source: "file"`), validated as a whole: exit 2 naming issue and field.
 * A valid file is skimmed, and an issue is parsed only when asked for (src/core/votes/skim.ts); a file the skim doubts is parsed whole, and validation names its problems.
 */
export async function readIssueFile(path: string, label: string): Promise<IssueSet> {
  const bytes = await readBytes(path, label, 'create it, or point issues.path in friday.config.json at it');
  const index = skimIssues(bytes);
  if (index !== null) {
    const parsed = new Map<number, Issue>();
    const lookup: IssueLookup = {
      has: (id) => index.has(id),
      get: (id) => {
        let issue = parsed.get(id);
        const at = index.get(id);
        if (issue === undefined && at !== undefined) parsed.set(id, (issue = issueAt(bytes, at)));
        return issue;
      },
    };
    return { issues: lookup, label };
  }
  const v = validateIssues(parseJson(bytes.toString('utf8'), label));
  if (!v.ok) throw problemsError(label, v.problems, v.more);
  const issues = new Map<number, Issue>();
  for (const issue of v.issues) issues.set(issue.id, issue);
  return { issues, label };
}

/** Every issue of the issues file, validated as a whole (`friday fans` counts them all). */
export async function readAllIssues(path: string, label: string): Promise<Issue[]> {
  const bytes = await readBytes(path, label, 'create it, or point issues.path in friday.config.json at it');
  const v = validateIssues(parseJson(bytes.toString('utf8'), label));
  if (!v.ok) throw problemsError(label, v.problems, v.more);
  return v.issues;
}

/**
 * The `votes.tiers` file: `{ "<user>": "<tier>" }` or the grades file. One that does not exist yet
 * (a new project cuts before its first `friday fans`) is a warning: every vote without a tier then
 * weighs `default` (docs/fans.md); one that exists and is invalid stays an error.
 */
export async function readTiersFile(path: string, label: string, warn: (line: string) => void): Promise<Map<string, string>> {
  try {
    await fs.access(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') {
      warn(`${label}: no such file yet; votes without a tier weigh "default" (friday fans writes the grades)`);
      return new Map();
    }
  }
  const bytes = await readBytes(path, label, 'create it, or remove votes.tiers from friday.config.json');
  const v = validateTiers(parseJson(bytes.toString('utf8'), label));
  if (!v.ok) throw problemsError(label, v.problems);
  return v.tiers;
}
