// The hand-written feed parser (src/core/feed/parse.ts) against JSON.parse, in one process on the
// same bytes in memory (no start-up, no file reading): the scan of `watch` (core/feed/scan.ts,
// scanBuffer: parse, rules, devices, units), beside JSON.parse run on every line with nothing else
// done (the floor of any scan built on it), and beside the tests' reference scan
// (test/helpers/feed-reference.ts: JSON.parse, the rules of docs/formats.md, units in Sets of strings).
// The 2,000,000-event feed of feed.mjs; alternating runs, medians. Its figures are quoted in the
// header of parse.ts; it prints no docs/quality.md row.
//
//   node bench/feed-parse.mjs [--runs N]     (or BENCH_RUNS=N; default 5)
import { readFileSync } from 'node:fs';
import { feed, NEW, NOW, OLD } from './lib-feed.mjs';
import { alternate, fmt } from './lib.mjs';
import { loadSource } from './load-source.mjs';

const args = process.argv.slice(2);
const RUNS = Number((args.includes('--runs') && args[args.indexOf('--runs') + 1]) || process.env.BENCH_RUNS || 5);
const EVENTS = 2_000_000;
const H = 3_600_000;

const { scanBuffer } = await loadSource('src/core/feed/scan.ts');
const { reference } = await loadSource('test/helpers/feed-reference.ts');
const data = readFileSync(feed(EVENTS, 48, 0.2075));
const now = Date.parse(NOW);
// What watch asks on this feed: the new build since it went live, the old one over the week.
const query = {
  nowMs: now,
  windows: [
    { version: NEW, fromMs: now - 24 * H, recentFromMs: now - 6 * H },
    { version: OLD, fromMs: now - 168 * H, recentFromMs: now - 6 * H },
  ],
};

/** Every line decoded and through JSON.parse, its kind read; no rule, no device, no unit. */
function jsonParseOnly(buf) {
  let crashes = 0;
  for (let pos = 0; pos < buf.length;) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0) nl = buf.length;
    if (JSON.parse(buf.toString('utf8', pos, nl)).kind === 'crash') crashes++;
    pos = nl + 1;
  }
  return crashes;
}

const want = scanBuffer(data, query);
const ref = reference(data, query);
if (JSON.stringify(ref) !== JSON.stringify(want)) throw new Error('scanBuffer and the reference disagree on the feed');
if (want.lines !== EVENTS) throw new Error(`the feed holds ${want.lines} lines, not ${EVENTS}`);

const timed = (name, run) => ({
  name,
  run: () => {
    const t0 = performance.now();
    run();
    return performance.now() - t0;
  },
});
const t = alternate(
  [
    timed('scan', () => scanBuffer(data, query)),
    timed('json', () => jsonParseOnly(data)),
    timed('reference', () => reference(data, query)),
  ],
  RUNS,
);
const rate = (ms) => `${fmt(EVENTS / ms / 1000)} M events/s`;
console.log(`${EVENTS} events, ${(data.length / 1048576).toFixed(0)} MiB in memory, median of ${RUNS}:`);
console.log(`  scanBuffer (parse.ts, the whole scan): ${fmt(t.scan, 0)} ms, ${rate(t.scan)}`);
console.log(`  JSON.parse per line, nothing else:     ${fmt(t.json, 0)} ms, ${rate(t.json)}; scan/JSON.parse ${fmt(t.scan / t.json)}`);
console.log(
  `  reference scan (JSON.parse + rules):   ${fmt(t.reference, 0)} ms, ${rate(t.reference)}; scan/reference ${fmt(t.scan / t.reference)}`,
);
