/** How a path is shown to the user: relative to the repository when inside it, else absolute. */
import { relative } from 'node:path';

export function displayPath(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') ? r : p;
}

/**
 * A path for a command the user pastes into the shell friday was started from: relative to the
 * current folder when inside it (so it reads as short as the rest), else absolute, quoted when
 * the shell would split or expand it.
 */
export function shellPath(p: string): string {
  return shellWord(displayPath(process.cwd(), p));
}

/** `text` as one word of a POSIX shell command: as it is when nothing in it is special, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
