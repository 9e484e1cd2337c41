// The rating counts a capability the container's process can use, in whichever of its sets the
// kernel keeps it (docs/security-rating.md). QA13's walk: a process with CAP_SYS_ADMIN left in its
// permitted set only (dropped from the effective and bounding sets, as any program given
// CAP_SETPCAP can do to itself) read `no capabilities`, 0 points: the rating read CapEff and
// CapBnd only, though the process can raise CAP_SYS_ADMIN into its effective set at any moment
// (capset(2) takes what is permitted).
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../../src/core/services/policy.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { imageTagged } from '../helpers/test-images.js';
import { engineUp, podman, swapBox, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/** Keeps CAP_SYS_ADMIN permitted only, then waits: the effective and bounding sets are empty. */
const KEEP_C = `#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  for (int c = 0; c <= 63; c++) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {{0}};
  d[0].permitted = 1u << CAP_SYS_ADMIN;
  if (syscall(SYS_capset, &h, d)) return 1;
  for (;;) pause();
}
`;

describe.skipIf(!engineUp)('a capability kept in the permitted set only (real Podman)', () => {
  const { box, name, swapIn } = swapBox('capprm');
  let work: string;
  const tag = `localhost/bp-svc-test/${uniqueName('capkeep')}:1`;

  beforeAll(async () => {
    // gcc: scripts/setup-host.sh installs it. A static program in an image of its own.
    work = tempDir('bp-capkeep-');
    await writeFile(path.join(work, 'keep.c'), KEEP_C);
    execFileSync('gcc', ['-static', '-O1', '-o', path.join(work, 'keep'), path.join(work, 'keep.c')]);
    await writeFile(path.join(work, 'Containerfile'), 'FROM scratch\nCOPY keep /keep\n');
    imageTagged(tag);
    await podman('build', '-q', '-t', tag, work);
  }, 180_000);

  it('is counted as a risky capability', async () => {
    await swapIn(
      ...['--cap-drop', 'all', '--cap-add', 'SYS_ADMIN,SETPCAP', '--network', 'none', '--read-only'],
      ...['--security-opt', 'no-new-privileges', tag, '/keep'],
    );
    const pid = Number((await podman('inspect', '-f', '{{.State.Pid}}', containerName(name))).trim());
    // The kernel, from the host: permitted CAP_SYS_ADMIN (bit 21), nothing effective or bounding.
    // The program drops them itself after its start: wait until it has.
    const sets = async () =>
      Object.fromEntries(
        [...(await readFile(`/proc/${pid}/status`, 'utf8')).matchAll(/^(Cap\w+):\t(\w+)$/gm)].map((m) => [
          m[1],
          m[2],
        ]),
      );
    let s = await sets();
    for (let i = 0; i < 100 && s.CapBnd !== '0000000000000000'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await sets();
    }
    expect(s).toMatchObject({
      CapPrm: '0000000000200000',
      CapEff: '0000000000000000',
      CapBnd: '0000000000000000',
    });

    const r = (await serviceStatus({ engine: box.engine, root: box.root }, name)).rating;
    expect(r.basis).toBe('container');
    expect(r.items.filter((x) => x.code === 'risky-capability').map((x) => x.data?.capability)).toEqual([
      'CAP_SYS_ADMIN',
    ]);
    expect(r.items.find((x) => x.code === 'no-capabilities')).toBeUndefined();
  }, 120_000);
});
