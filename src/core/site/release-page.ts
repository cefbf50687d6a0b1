/**
 * `<publish>/releases/<version>/index.html` (docs/site.md "The release page"): the changelog with
 * its nominees and, once held, the awards; the downloads and how to verify them; the channels that
 * carried the release; its health per channel. One function per section.
 */
import { renderAwards } from './awards.js';
import { healthChart, healthPoints } from './chart.js';
import { indexOf } from './log.js';
import { html, issueHref, link, relativeHref, table, type Html } from './html.js';
import { footer, verdictText } from './index-page.js';
import { renderPage } from './layout.js';
import { arr, num, obj, str, type SiteData, type SiteRelease } from './model.js';

export function renderRelease(d: SiteData, r: SiteRelease): string {
  const b = r.build;
  return renderPage({
    title: `${d.product} ${r.version}`,
    heading: html`<span>${d.product}</span> ${r.version}`,
    lead: html`Tag <code>${b.tag}</code>, commit <code>${b.commit.slice(0, 12)}</code>, built
      ${b.builtAt}${b.previousTag ? html`, after ${b.previousTag}` : ''}.`,
    nav: html`<a href="../../index.html">← All channels and releases</a>`,
    main: html`${renderChangelog(d, r)} ${renderReleaseAwards(d, r)} ${renderDownloads(d, r)} ${renderCarried(d, r)} ${renderHealth(d, r)}`,
    footer: footer(d),
  });
}

/**
 * Everything renderRelease reads of `d` for `r`, as text: a page whose text is the same as at the
 * last run is the same page, so it is neither rendered nor written again (src/workflow/site.ts).
 * A channel's checks are named by their count within the log's reading (`ChannelLog.origin`):
 * read on from a cache, a log only grows, so the same count is the same checks. Whatever a
 * section of the page reads must be here.
 */
export function releaseInputs(d: SiteData, r: SiteRelease): string | null {
  const channels = [];
  for (const { c, log, periods } of carriers(d, r.version)) {
    if (c.log.origin === null) return null;
    const s = c.log.checks.get(r.version);
    channels.push({
      name: c.name,
      origin: c.log.origin,
      periods: periods.map((p) => [p, log.periods.find((q) => q.from === p.to && q.version !== r.version)?.version ?? null]),
      events: log.byVersion.get(r.version) ?? [],
      rollbacks: log.rollbacks.filter((e) => obj(e.detail).from === r.version),
      checks: s ? [s.count, s.at.length, s.latest] : null,
    });
  }
  return JSON.stringify([d.product, d.repo, d.trust, r, channels]);
}

const GROUPS: [string, (type: string) => boolean][] = [
  ['Features', (t) => t === 'feature'],
  ['Improvements', (t) => t === 'improvement'],
  ['Fixes', (t) => t === 'bug'],
  ['Other', (t) => !['feature', 'improvement', 'bug'].includes(t)],
];

function renderChangelog(d: SiteData, r: SiteRelease): Html {
  const cl = obj(r.changelog);
  const md = r.changelogMd ? relativeHref(0, 'CHANGELOG.md') : null;
  if (r.changelog === null)
    return html`<section aria-labelledby="changelog">
      <h2 id="changelog">Changelog</h2>
      <p>No changelog was written for this release.</p>
    </section>`;
  const entries = arr(cl.entries).map(obj);
  const item = (e: Record<string, unknown>) =>
    html`<li>
      ${link(issueHref(d.repo, num(e.id)), `#${num(e.id) ?? '?'}`)} ${str(e.title) ?? ''}
      <span class="meta"
        >— score ${num(e.score) ?? 0}, ${num(e.voters) ?? 0}
        voter${num(e.voters) === 1 ? '' : 's'}${str(e.author) ? html`, reported by ${str(e.author)}` : ''}</span
      >
    </li>`;
  const nominees = entries.filter((e) => e.type === 'feature' && (num(e.score) ?? 0) > 0);
  const groups = GROUPS.map(([title, is]) => {
    const list = entries.filter((e) => is(str(e.type) ?? ''));
    return list.length
      ? html`<h3>${title}</h3>
          <ul class="plain">
            ${list.map(item)}
          </ul>`
      : html``;
  });
  const thanks = arr(cl.contributors).flatMap((c) => str(c) ?? []);
  return html`<section aria-labelledby="changelog">
    <h2 id="changelog">Changelog</h2>
    <p class="meta">
      ${num(cl.commits) ?? 0} commits${str(obj(cl.range).from) ? html` since ${str(obj(cl.range).from)}` : ''}, ${entries.length} fan
      issue${entries.length === 1 ? '' : 's'}.${md ? html` ${link(md, 'CHANGELOG.md')}` : ''}
    </p>
    <h3>Popcorn Award nominees</h3>
    ${
      nominees.length
        ? html`<ol>
            ${nominees.map(item)}
          </ol>`
        : html`<p>No feature was voted up in this release.</p>`
    }
    ${groups} ${thanks.length ? html`<p>Thanks to ${thanks.join(', ')}.</p>` : ''}
  </section>`;
}

function renderReleaseAwards(d: SiteData, r: SiteRelease): Html {
  if (r.awards === null) return html``;
  return html`<section aria-labelledby="awards">
    <h2 id="awards">Awards</h2>
    ${renderAwards(r.awards, d.repo)}
  </section>`;
}

const size = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);

function renderDownloads(d: SiteData, r: SiteRelease): Html {
  const keys = d.trust?.keys ?? [];
  const rows = r.build.artifacts.map(
    (a) =>
      html`<tr>
        <th scope="row">${a.device}</th>
        <td>${link(relativeHref(0, a.file), a.file)}</td>
        <td>${size(a.size)}</td>
        <td><code>${a.sha256}</code></td>
      </tr>`,
  );
  const commands = r.build.artifacts.flatMap((a) => {
    if (!(a.file in r.minisigs)) return [];
    const id = r.minisigs[a.file];
    const key = id ? keys.find((k) => k.keyid.startsWith(id)) : undefined;
    return key ? [`minisign -Vm ${a.file} -P ${key.minisign}`] : [];
  });
  const sums = r.build.artifacts.map((a) => `${a.sha256}  ${a.file}`);
  return html`<section aria-labelledby="downloads">
    <h2 id="downloads">Downloads</h2>
    ${table(['Device', 'File', 'Size', 'SHA-256'], rows)}
    <h3>Verify a download</h3>
    <p>Check its SHA-256 (<code>sha256sum -c</code> reads these lines):</p>
    <pre>${sums.join('\n')}</pre>
    ${
      commands.length
        ? html`<p>Check its signature with minisign, with the <code>.minisig</code> file beside it:</p>
            <pre>${commands.join('\n')}</pre>`
        : ''
    }
    ${renderKeys(d)}
  </section>`;
}

function renderKeys(d: SiteData): Html {
  if (!d.trust) return html`<p>No key is trusted yet.</p>`;
  const rows = d.trust.keys.map(
    (k) =>
      html`<tr>
        <th scope="row">${k.name ?? '(unnamed)'}</th>
        <td><code>${k.keyid}</code></td>
        <td><code>${k.minisign}</code></td>
      </tr>`,
  );
  return html`<h3>Trusted keys</h3>
    <p>
      <strong>Compare these fingerprints with a source other than this server</strong> (the project's repository, its announcements):
      whoever controls this server could change this page too.
    </p>
    ${table(['Key', 'Fingerprint (SHA-256 of the public key)', 'minisign public key'], rows)}
    <p class="meta">Threshold ${d.trust.threshold}${Object.entries(d.trust.channels).map(([c, t]) => `, ${c} ${t.threshold}`)}.</p>`;
}

/** Channels whose audit log shows the release live or checked, with its live periods there (docs/formats.md "went live"). */
function carriers(d: SiteData, version: string) {
  return d.channels.flatMap((c) => {
    const log = indexOf(c.log);
    const periods = log.periods.filter((p) => p.version === version);
    return periods.length || log.byVersion.has(version) || c.log.checks.has(version) ? [{ c, log, periods }] : [];
  });
}

function renderCarried(d: SiteData, r: SiteRelease): Html {
  const rows = carriers(d, r.version).flatMap(({ c, log, periods }) =>
    periods.map((p) => {
      const next = log.periods.find((q) => q.from === p.to && q.version !== r.version);
      const publishes = (log.byVersion.get(r.version) ?? []).filter(
        (e) => e.action === 'publish' && e.at >= p.from && (p.to === null || e.at <= p.to),
      );
      const widest = Math.max(0, ...publishes.map((e) => num(obj(e.detail).rollout) ?? 0));
      const rolledBack = log.rollbacks.find(
        (e) => e.action === 'rollback' && obj(e.detail).from === r.version && p.to !== null && e.at === p.to,
      );
      const until =
        p.to === null
          ? html`<span class="ok">live now</span>`
          : html`${p.to}${rolledBack ? html` <span class="bad">rolled back</span>` : next ? html` (then ${next.version})` : ''}`;
      return html`<tr>
        <th scope="row">${c.name}</th>
        <td>${p.from}</td>
        <td>${until}</td>
        <td>${widest} %</td>
      </tr>`;
    }),
  );
  return html`<section aria-labelledby="channels">
    <h2 id="channels">Channels that carried it</h2>
    ${
      rows.length ? table(['Channel', 'Live from', 'Until', 'Widest rollout'], rows) : html`<p>No channel has carried ${r.version} yet.</p>`
    }
  </section>`;
}

function renderHealth(d: SiteData, r: SiteRelease): Html {
  const found = carriers(d, r.version);
  const blocks = found.map(({ c, log }, i) => {
    const series = c.log.checks.get(r.version);
    // The latest checks: a year of checks every 10 minutes is tens of thousands of lines; the chart shows them all.
    const shown = series?.latest ?? [];
    const count = series?.count ?? 0;
    const caption =
      count > shown.length
        ? `The latest ${shown.length} of ${count} watch checks on ${c.name} (all of them are in channels/${c.name}/events.ndjson)`
        : `Watch checks on ${c.name}`;
    const rows = shown.map((w) => {
      return html`<tr>
        <th scope="row">${w.at}</th>
        <td>${verdictText(w.verdict)}</td>
        <td>${w.crashUnits ?? '?'} / ${w.units ?? '?'}</td>
        <td>${w.reason ?? ''}</td>
      </tr>`;
    });
    const rollbacks = log.rollbacks.filter((e) => obj(e.detail).from === r.version);
    return html`<h3>On ${c.name}</h3>
      ${healthChart(`chart-${i}`, c.name, r.version, healthPoints(c, r.version))}
      ${rows.length ? table(['Checked', 'Verdict', 'Crash units / units', 'Why'], rows, caption) : ''}
      ${rollbacks.map((e) => html`<p><span class="bad">Rolled back</span> on ${c.name} at ${e.at} to ${String(obj(e.detail).to ?? '?')}: ${str(obj(e.detail).reason) ?? ''}</p>`)}`;
  });
  return html`<section aria-labelledby="health">
    <h2 id="health">Health</h2>
    <p class="meta">Crash units are device-hours with a crash, from the crash feed that <code>friday watch</code> judges.</p>
    ${blocks.length ? blocks : html`<p>No channel has carried ${r.version} yet, so there is no health to show.</p>`}
  </section>`;
}
