/**
 * A device updater depends on this package and imports the client by its public name, with
 * types: `import { pull, verifyManifest } from 'orange-friday/client'` (package.json `exports`,
 * dist/client.d.ts). Checked the way an updater's build would: tsc on its source, node running it.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/index.js';

const run = promisify(execFile);

describe("the client as a package: 'orange-friday/client'", () => {
  it('type-checks and runs in an updater that depends on the package', async () => {
    const app = tmpDir('friday-updater-');
    await fs.mkdir(join(app, 'node_modules'), { recursive: true });
    await fs.symlink(ROOT, join(app, 'node_modules', 'orange-friday'), 'dir');
    // A Node updater has Node's own types, as this package's declarations name Buffer and KeyObject.
    await fs.symlink(join(ROOT, 'node_modules/@types'), join(app, 'node_modules', '@types'), 'dir');
    await fs.writeFile(join(app, 'package.json'), JSON.stringify({ name: 'updater', type: 'module', private: true }));
    await fs.writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          types: ['node'],
          skipLibCheck: false,
        },
      }),
    );
    const source = `import { isClientError, parseTrust, type PullOptions, type PullResult, type Trust } from 'orange-friday/client';
const opts: Pick<PullOptions, 'channel' | 'device'> = { channel: 'beta', device: 'umi' };
let trust: Trust | null = null;
try {
  trust = parseTrust({ type: 'friday.trust/v1', product: 'aurora', keys: {}, threshold: 0 });
} catch (err) {
  if (isClientError(err)) console.log(err.code, opts.channel);
}
const decided: PullResult['decision'] | null = null;
console.log(trust === null, decided);
`;
    await fs.writeFile(join(app, 'main.ts'), source);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const typed = await run(process.execPath, [tsc, '-p', app], { cwd: app }).catch((e: { stdout: string }) => e);
    expect((typed as { stdout: string }).stdout).toBe('');

    // A type error is caught: the declarations are real, not `any`.
    await fs.writeFile(
      join(app, 'main.ts'),
      `import { inRollout } from 'orange-friday/client';\nconst x: string = inRollout(10, 'salt', 'id');\n`,
    );
    const wrong = await run(process.execPath, [tsc, '-p', app], { cwd: app }).catch((e: { stdout: string }) => e);
    expect((wrong as { stdout: string }).stdout).toMatch(/Type 'boolean' is not assignable to type 'string'/);

    await fs.writeFile(join(app, 'main.mjs'), source.replace(/, type \w+/g, '').replace(/: [A-Za-z<>'|, [\]]+ = /g, ' = '));
    const ran = await run(process.execPath, [join(app, 'main.mjs')], { cwd: app });
    expect(ran.stdout).toBe('E_TRUST beta\ntrue null\n');
  }, 60_000);
});
