/** How a path is shown to the user: relative to the repository when inside it, else absolute. */
import { relative } from 'node:path';

export function displayPath(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') ? r : p;
}
