// Runs friday in this very process and reports its peak resident set size on exit.
import { BIN } from './lib.mjs';
process.argv = [process.argv[0], BIN, ...process.argv.slice(2)];
process.on('exit', () => process.stderr.write(`PEAK_RSS_KB ${process.resourceUsage().maxRSS}\n`));
await import(BIN);
