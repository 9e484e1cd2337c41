import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint --root IMAGE audit network` on a root with no /proc mounted said 'No listener reachable
 * from the network.' (exit 0): an all-clear from a security audit that read nothing. With no socket
 * table to read it says so (not found, 3); a root with the tables is audited as before.
 */
describe('audit network with no ROOT/proc/net', () => {
  it('is not an all-clear: exit 3, says what it could not read', async () => {
    const root = tempDir('bp-audit-noproc-');
    for (const json of [false, true]) {
      const r = await runCliHere(['--root', root, ...(json ? ['--json'] : []), 'audit', 'network']);
      expect(r.code).toBe(3);
      expect(r.out).not.toContain('No listener');
      expect(r.err).toContain(path.join(root, 'proc/net'));
    }
  });

  it('a root with the tables (no listener in them) is still audited: exit 0', async () => {
    const root = tempDir('bp-audit-noproc-');
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    writeFileSync(path.join(root, 'proc/net/tcp'), '  sl  local_address rem_address   st\n');
    const r = await runCliHere(['--root', root, 'audit', 'network']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('No listener reachable from the network.');
  });
});
