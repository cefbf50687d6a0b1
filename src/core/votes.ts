/**
 * Fan votes, as the changelog uses them: the counting rules (votes/count.ts) and the issue they
 * count. The issues file's validation is votes/validate.ts; the fast reader of a large file,
 * votes/skim.ts.
 */
export { compareRank, tally, type Weighting } from './votes/count.js';
export type { Issue } from './votes/validate.js';
