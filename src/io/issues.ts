/**
 * Where fan-voted issues come from (docs/formats.md `issues.source`): a JSON file in the repository
 * (issues/file.ts, with the `votes.tiers` file), or the GitHub REST API (issues/github.ts: issues,
 * and the 👍/👎 reactions as votes). Validation is the pure core's (src/core/votes/).
 */
import type { IssueLookup } from '../core/changelog.js';

/** What either source gives the changelog. */
export interface IssueSet {
  /** Issues and pull requests (`pull: true`, with the issues they close), by number. */
  issues: IssueLookup;
  /** How messages name the source: `issues.json`, `GitHub owner/name`. */
  label: string;
}
