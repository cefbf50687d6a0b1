/**
 * An award ceremony (`awards.json`, docs/formats.md "awards.json"; friday.awards/v1): the one
 * renderer, used by the release page and for the latest ceremony on the front page.
 */
import { html, issueHref, link, type Html } from './html.js';
import { arr, num, obj, str } from './model.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function renderAwards(awards: unknown, repo: string | null): Html {
  const a = obj(awards);
  const ballot = obj(a.ballot);
  const items = arr(a.awards).map((x) => renderAward(obj(x), repo));
  return html`<p class="meta">
      Held ${str(a.heldAt) ?? '?'} on ${str(a.channel) ?? '?'}; ballot from ${str(ballot.from) ?? '?'} to ${str(ballot.to) ?? '?'}.
    </p>
    ${items.length ? items : html`<p>No award in this ceremony.</p>`}`;
}

function renderAward(x: Record<string, unknown>, repo: string | null): Html {
  const name = str(x.name) ?? str(x.kind) ?? 'Award';
  const w = x.winner === null ? null : obj(x.winner);
  if (!w) return html`<div class="award"><strong>${name}</strong>: no winner this week.</div>`;
  const kind = str(x.kind);
  if (kind === 'popcorn') {
    const id = num(w.id);
    const runners = arr(x.runnersUp).map((r) => {
      const ro = obj(r);
      return html`<li>
        ${link(issueHref(repo, num(ro.id)), `#${num(ro.id) ?? '?'}`)}: score ${num(ro.score) ?? '?'},
        ${plural(num(ro.voters) ?? 0, 'voter')}
      </li>`;
    });
    return html`<div class="award">
      <strong>${name}</strong>: ${link(issueHref(repo, id), `#${id ?? '?'} ${str(w.title) ?? ''}`)}
      ${str(w.author) ? html` by ${str(w.author)}` : ''} — score ${num(x.score) ?? '?'}, ${plural(num(x.voters) ?? 0, 'voter')}
      ${
        runners.length
          ? html`<br /><span class="meta">Runners-up:</span>
              <ul>
                ${runners}
              </ul>`
          : ''
      }
    </div>`;
  }
  const user = str(w.user) ?? '?';
  if (kind === 'bug-hunter')
    return html`<div class="award"><strong>${name}</strong>: ${user} — ${plural(num(x.count) ?? 0, 'bug')} reported in this release</div>`;
  if (kind === 'tester')
    return html`<div class="award">
      <strong>${name}</strong>: ${user} — ${plural(num(x.units) ?? 0, 'device-hour')} tested,
      ${plural(num(x.crashUnits) ?? 0, 'crash unit')} reported
    </div>`;
  return html`<div class="award"><strong>${name}</strong>: ${user}</div>`;
}
