/**
 * The plan of `apply -f` / `setup --answers` fetches the index of a repository the file brings
 * (95b522c1) in a scratch box. SIGTERM while that fetch waits on a repository that does not answer
 * must end it as the README says (143, 'Interrupted by SIGTERM') with the scratch box removed, not
 * as a refused plan ('could not be fetched', exit 1). The real executable, as a user runs it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, GOOD, signedRepo } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('SIGTERM while the plan fetches a new repository', () => {
  it('ends with 143, says it was interrupted, and leaves no scratch box', async () => {
    const { key } = await signedRepo([GOOD]);
    let asked!: () => void;
    const reached = new Promise<void>((r) => (asked = r));
    // Answers nothing: the fetch waits until it is stopped.
    const server = createServer(() => asked());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/repo`;
    const work = tempDir('bp-plan-term-');
    const tmp = tempDir('bp-plan-term-tmp-');
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      [
        'hostname: box-01',
        `repositories: [{ name: main, url: "${url}", key: "${key.publicFile}", fingerprint: "${key.fingerprint}" }]`,
        'modules: [good]',
      ].join('\n'),
    );
    try {
      const child = spawn(
        blueprintExe,
        ['--root', path.join(work, 'box'), 'apply', '--dry-run', '-f', file],
        {
          env: { PATH: '/usr/bin:/bin', TMPDIR: tmp },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      await reached;
      child.kill('SIGTERM');
      const code = await done;
      expect(code, stderr).toBe(143);
      expect(stderr).toContain('Interrupted by SIGTERM');
      expect(readdirSync(tmp).filter((n) => n.startsWith('blueprint-plan-'))).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
