/**
 * What a commit message says about issues and other commits (docs/changelog.md "Which issues a
 * release contains"): the issue and pull request numbers it references, the ones a pull request
 * body closes, and the commits a revert undoes. Pure: the repository's name and web hosts are
 * passed in.
 *
 * References follow GitHub's autolinks: `#12`, `GH-12`, `owner/repo#12` and the repository's
 * issue and pull request URLs, the last two only when they name this repository. Text inside code
 * (a fenced block, an inline span) is an example, not a reference.
 */

/** The repository whose qualified references count, and the hosts of its web pages. */
export interface RefScope {
  /** `owner/name`, or null when no repository is configured (qualified forms then never count). */
  repo: string | null;
  /** Lower-case hosts of the repository's web pages (`github.com`, a GitHub Enterprise host). */
  hosts: readonly string[];
}

// One alternation, one pass: `#N` not glued to a word or an HTML entity (`&#123;`); `GH-N`;
// `owner/name#N`; a web URL `…/owner/name/issues/N` or `…/pull/N`. Numbers above 15 digits are
// never issue numbers (and would lose precision).
const REF =
  /(?<![\w&])#(\d{1,15})(?!\w)|(?<![\w-])GH-(\d{1,15})(?!\w)|(?<![\w./-])([A-Za-z0-9][A-Za-z0-9-]*\/[\w.-]+)#(\d{1,15})(?!\w)|https?:\/\/([\w.-]+(?::\d+)?)\/([A-Za-z0-9][A-Za-z0-9-]*\/[\w.-]+?)\/(?:issues|pull)\/(\d{1,15})(?!\d)/g;

const REF_AT = new RegExp(REF.source, 'y');

// GitHub's closing keywords (docs "Linking a pull request to an issue"), each before its own
// reference: `Fixes #12`, `closes: owner/name#12`, `Resolves https://github.com/owner/name/issues/12`.
const CLOSING = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?[ \t]+(?=\S)/gi;

/** A fence line opens or closes a code block: three backticks or tildes, up to three spaces in. */
const FENCE = /^ {0,3}(```|~~~)/;

/** The message with code blocks and inline code spans blanked out (same length, so offsets hold). */
function withoutCode(message: string): string {
  if (!message.includes('`') && !message.includes('~~~')) return message;
  let inFence: string | null = null;
  const lines = message.split('\n').map((line) => {
    const fence = FENCE.exec(line)?.[1];
    if (inFence !== null) {
      if (fence === inFence) inFence = null;
      return ' '.repeat(line.length);
    }
    if (fence !== undefined) {
      inFence = fence;
      return ' '.repeat(line.length);
    }
    return line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length));
  });
  return lines.join('\n');
}

const mightReference = (s: string) => s.includes('#') || s.includes('GH-') || s.includes('/issues/') || s.includes('/pull/');

/** The number one match of REF names in this scope, or null (another repository's, or a URL elsewhere). */
function numberOf(m: RegExpExecArray, scope: RefScope): number | null {
  let text: string | undefined = m[1] ?? m[2];
  if (text === undefined && m[3] !== undefined) {
    if (scope.repo === null || m[3].toLowerCase() !== scope.repo.toLowerCase()) return null;
    text = m[4];
  } else if (text === undefined) {
    if (scope.repo === null || m[6]!.toLowerCase() !== scope.repo.toLowerCase()) return null;
    if (!scope.hosts.includes(m[5]!.toLowerCase())) return null;
    text = m[7];
  }
  const id = Number(text);
  return id > 0 && Number.isSafeInteger(id) ? id : null;
}

/** The issue (or pull request) numbers a message references, each once, in order of appearance. */
export function refsOf(message: string, scope: RefScope = { repo: null, hosts: [] }): number[] {
  if (!mightReference(message)) return [];
  const out: number[] = [];
  const text = withoutCode(message);
  for (const m of text.matchAll(REF)) {
    const id = numberOf(m, scope);
    if (id !== null && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * The numbers a text closes with GitHub's closing keywords, each once: what a pull request body
 * links when GitHub's own closing references are not to be had.
 */
export function closingRefsOf(text: string, scope: RefScope = { repo: null, hosts: [] }): number[] {
  if (!mightReference(text)) return [];
  const out: number[] = [];
  const plain = withoutCode(text);
  for (const k of plain.matchAll(CLOSING)) {
    // Sticky: the reference must follow the keyword at once, as GitHub requires.
    REF_AT.lastIndex = k.index + k[0].length;
    const m = REF_AT.exec(plain);
    const id = m === null ? null : numberOf(m, scope);
    if (id !== null && !out.includes(id)) out.push(id);
  }
  return out;
}

// git's own line (`This reverts commit <sha>.`), its hand-written forms (`- reverts commit <sha>`),
// and a subject that names the commit (`Revert 9ed8db22c (…)`).
const REVERTS = /\breverts? commit ([0-9a-f]{7,40})\b|^revert ([0-9a-f]{7,40})\b/gi;

/** The commits (full or abbreviated hashes, lower case) a message says it reverts. */
export function revertedBy(message: string): string[] {
  if (!/evert/i.test(message)) return [];
  const out: string[] = [];
  for (const m of message.matchAll(REVERTS)) {
    const sha = (m[1] ?? m[2])!.toLowerCase();
    if (!out.includes(sha)) out.push(sha);
  }
  // `Revert f8ed8aa7 (…)` over `- reverts commit f8ed8aa74b62…`: one commit, named twice.
  return out.filter((a) => !out.some((b) => b !== a && b.startsWith(a)));
}
