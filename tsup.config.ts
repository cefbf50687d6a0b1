import { defineConfig } from 'tsup';

// One ESM entry for the CLI; every command is a dynamic import, so esbuild splits it into its
// own chunk and `friday --version` loads nothing but the parser. The client is a separate entry
// so a device updater can embed it without the rest of the CLI. The feed scan's worker thread is
// an entry too: the scan loads it by a fixed path (dist/io/feed-worker.js), never a chunk whose
// name and contents depend on how esbuild splits the CLI. So is the minisign prehash's worker.
export default defineConfig({
  entry: {
    'cli/main': 'src/cli/main.ts',
    client: 'src/client/index.ts',
    'io/feed-worker': 'src/io/feed-worker.ts',
    'io/blake2b-worker': 'src/io/blake2b-worker.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  // commander and zod/mini are bundled (tree-shaken) into the build: fewer files to load at start-up.
  noExternal: ['commander', 'zod'],
  banner: { js: "import { createRequire as __friday_cr } from 'node:module'; const require = __friday_cr(import.meta.url);" },
  sourcemap: true,
  clean: false, // `prepare` passes --clean; dev builds may run side by side
  // Type declarations for the embeddable client only: `import … from 'orange-friday/client'`.
  dts: { entry: { client: 'src/client/index.ts' } },
});
