#!/usr/bin/env node
// A shim: the CLI lives in the build output (`npm install` builds it through `prepare`).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('friday: not built: run `npm install` (or `npm run build`) in the orange-friday folder\n');
    process.exit(1);
  }
  throw err;
});
