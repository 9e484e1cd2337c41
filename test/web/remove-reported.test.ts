/**
 * What a removal from the dashboard says it did, in `bpkg remove`'s words (present/packages.ts
 * removedLine): the job said only "removed: NAME VERSION", never where the module's data went
 * (kept, and how to delete it) nor that the removal stopped its running service. A real box
 * (signed folder repository) and the dashboard's own operations.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

it("says bpkg remove's line: the package removed and where its data was kept", async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0' }]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'greeter'])).code).toBe(0);
  const data = path.join(root, 'var/lib/blueprint/modules/greeter');
  await mkdir(data, { recursive: true });
  const lines: string[] = [];
  await appOps(root).packageAction('remove', 'greeter', (l) => lines.push(l), new AbortController().signal);
  expect(lines.at(-1)).toBe(
    `removed greeter 1.0.0; its data kept in ${data} (\`bpkg remove --purge greeter\` deletes it)`,
  );
  expect((await bpkg(root, ['list'])).stdout).not.toContain('greeter');
});
