/**
 * `blueprint service list` failed as a whole (exit 7, no table) when one service registration file
 * was damaged: the admin saw none of the others. It now lists them, with a row for the damaged one
 * and, below the table, what is wrong and the fix; --json has the row too ({name, state: "damaged",
 * error}). The exit code stays 7 (the storage error's), so a script still sees that something on
 * disk needs the fix. Through the built executable (dist/blueprint, `npm run build` first).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { run } from '../helpers/pkg.js';

describe('service list with a damaged registration', () => {
  it('lists the others, shows the damaged one as a row with the fix, exits 7; --json too', async () => {
    const root = tokenRoot('bp-list-damaged-');
    // Names no other test's box has, so the engine has no container of theirs.
    await register(root, 'u5damaged', consumerSpec('/run/a'));
    await register(root, 'u5fine', consumerSpec('/run/b'));
    const f = path.join(root, 'var/lib/blueprint/services/u5damaged/1.0.0.json');
    writeFileSync(f, readFileSync(f, 'utf8').slice(0, 40));

    for (const cmd of ['list', 'status']) {
      const r = await run(['--root', root, 'service', cmd]);
      expect(r.code, r.stderr).toBe(7);
      expect(r.stdout).toMatch(/^u5damaged\s+\?\s+registration damaged \(see below\)/m);
      expect(r.stdout).toMatch(/^u5fine\s+1\.0\.0\s+not created/m);
      expect(r.stdout).toContain(`u5damaged: The service registration of u5damaged is damaged (${f}`);
      expect(r.stdout).toContain(
        `hint: Install the module again: \`bpkg --root ${root} install u5damaged --reinstall\``,
      );
    }
    const json = await run(['--root', root, '--json', 'service', 'list']);
    expect(json.code).toBe(7);
    const rows = JSON.parse(json.stdout);
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['u5damaged', 'u5fine']);
    expect(rows[0]).toMatchObject({
      name: 'u5damaged',
      state: 'damaged',
      error: { code: 'registration-damaged', hint: expect.stringContaining('--reinstall') },
    });
    expect(rows[1]).toMatchObject({ name: 'u5fine', version: '1.0.0', state: 'not created' });
  });
});
