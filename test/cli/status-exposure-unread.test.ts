/**
 * `blueprint status` (and the console's Dashboard and the web overview, from the same audit) said
 * `exposure: 0 socket(s) beyond loopback` on a root with no socket tables under ROOT/proc/net: the
 * demo box, any `--root` that is not a running box's /. Nothing had been read, yet it read as an
 * all-clear (QA13's walk: this machine had 0.0.0.0:2024 listening while `status --root` said 0;
 * `blueprint audit network` already refused to give an all-clear there, exit 3). Now it says the
 * sockets were not read; a root with tables is read as before.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const env = { CONTAINER_HOST: 'unix:///nonexistent/podman.sock' };

/** One TCP listener on 0.0.0.0:8080, as the kernel's /proc/net/tcp writes it. */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
`;

describe('status: network exposure where no socket tables are', () => {
  it('says the sockets were not read, not 0', async () => {
    const root = tempDir('bp-exposure-unread-');
    const r = await run(['--root', root, 'status'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/exposure: 0 socket/);
    expect(r.stdout).toMatch(
      /^ {2}exposure: listening sockets not read \(no socket tables under .*proc\/net/m,
    );
    const doc = JSON.parse((await run(['--root', root, '--json', 'status'], { env })).stdout);
    expect(doc.exposure).toMatchObject({ listeners: [], socketsRead: false });
  });

  it('reads them where they are', async () => {
    const root = tempDir('bp-exposure-read-');
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    writeFileSync(path.join(root, 'proc/net/tcp'), TCP);
    const r = await run(['--root', root, 'status'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}exposure: 1 socket\(s\) beyond loopback; firewall none$/m);
    const doc = JSON.parse((await run(['--root', root, '--json', 'status'], { env })).stdout);
    expect(doc.exposure).toMatchObject({
      socketsRead: true,
      listeners: [{ address: '0.0.0.0', port: 8080 }],
    });
  });
});
