import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, run, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint module new my-svc`, then `blueprint repo build my-svc …` on a machine whose `node` is
 * Node 20 (Debian 12's, this VM's: the repository's Node 24 is in node_modules/.bin, not on PATH)
 * said 'error: build.sh failed: its last lines of output: build.sh needs Node 24 or later', with no
 * hint and no word of which Node it found. The scaffold's build.sh now names the Node it found and
 * what to do, and a failed build.sh gets a hint: how to run it alone. The real executable, a fake
 * `node` 20 first on PATH (so the test holds on a machine whose node is 24).
 */
describe('repo build of a fresh module with an old Node first on PATH', () => {
  it('names the Node found and what to do; the hint runs build.sh alone', async () => {
    const base = tempDir('bp-old-node-');
    const bin = path.join(base, 'bin');
    mkdirSync(bin);
    const fake = path.join(bin, 'node');
    writeFileSync(fake, '#!/bin/sh\n[ "$1" = --version ] && { echo v20.20.2; exit 0; }\nexit 1\n');
    chmodSync(fake, 0o755);
    const src = path.join(base, 'my-svc');
    expect((await run(['module', 'new', 'my-svc', '--dir', src])).code).toBe(0);
    const key = await makeKey(path.join(base, 'key'));
    const r = await run(['repo', 'build', src, '--repo', path.join(base, 'repo'), '--key', key.privateFile], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'build.sh needs Node 24 or later (it bundles the server and copies Node into the image); the node first on PATH is v20.20.2: put a Node 24 first on PATH',
    );
    expect(r.stderr).toContain(
      `hint: Fix what its output says; \`sh ${path.join(src, 'build.sh')}\` runs it alone (repo build runs it before podman build).`,
    );
  });
});
