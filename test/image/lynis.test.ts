// Lynis (the build host's Debian package) audits the booted image as a box runs in the field:
// provisioned headlessly (admin with a key, SSH on), every unit started. Under TCG the audit takes
// ~15 minutes, so this is its own target: `npm run test:lynis`. The report is kept in
// build/image/lynis/ and the hardening index goes in image/README.md.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDir, provisioningDisk, requireImage } from './image.js';
import { Guest } from './qemu.js';

const GOAL = 80;

/** Upstream's standalone layout (lynis, include/, db/, plugins/, default.prf in one folder) as a tar. */
function lynisBundle(dir: string): Buffer {
  const bundle = path.join(dir, 'lynis');
  mkdirSync(bundle);
  for (const [from, to] of [
    ['/usr/sbin/lynis', 'lynis'],
    ['/usr/share/lynis/include', 'include'],
    ['/usr/share/lynis/db', 'db'],
    ['/etc/lynis/plugins', 'plugins'],
    ['/etc/lynis/default.prf', 'default.prf'],
  ] as const) {
    cpSync(from, path.join(bundle, to), { recursive: true });
  }
  // Lynis run as root refuses include files not owned by root.
  return execFileSync('tar', ['-cz', '--owner=0', '--group=0', '-C', bundle, '.'], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

// Runs as root in the guest: unpack the bundle from stdin, audit, print the report and the output.
const AUDIT = `set -e
rm -rf /root/lynis && mkdir -m 0700 /root/lynis && tar -xz -C /root/lynis
cd /root/lynis
sh ./lynis audit system --quick --no-colors --logfile /root/lynis.log --report-file /root/lynis-report.dat >/root/lynis.out 2>&1 || true
echo '=== REPORT'; cat /root/lynis-report.dat
echo '=== OUTPUT'; cat /root/lynis.out`;

describe('Lynis in the booted, provisioned guest', () => {
  const guest = new Guest();
  const key = path.join(guest.dir, 'admin_ed25519');
  const login = ['-i', key, '-o', 'IdentitiesOnly=yes'];

  beforeAll(async () => {
    requireImage();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lynis@build', '-f', key]);
    const disk = provisioningDisk(guest.dir, {
      hostname: 'bp-lynis',
      admin: { name: 'admin', keys: [readFileSync(`${key}.pub`, 'utf8').trim()] },
      ssh: { enabled: true },
    });
    await guest.start({ disks: [disk], memoryMiB: 1536 });
  });
  afterAll(() => guest.stop());

  it(`scores a hardening index of at least ${GOAL}`, { timeout: 60 * 60_000 }, async () => {
    await guest.waitForSsh('admin', login, 200);
    // Score the box with every boot unit done, not half-way through starting.
    await guest.ssh('admin', ['sudo', 'systemctl', 'is-system-running', '--wait'], login, {
      timeoutMs: 600_000,
    });
    const quoted = `'${AUDIT.replace(/'/g, `'\\''`)}'`; // one word for the remote shell
    const audit = await guest.ssh('admin', ['sudo', 'sh', '-c', quoted], login, {
      input: lynisBundle(guest.dir),
      timeoutMs: 45 * 60_000,
    });
    expect(audit.code, audit.stderr).toBe(0);
    const report = audit.stdout.slice(audit.stdout.indexOf('=== REPORT'), audit.stdout.indexOf('=== OUTPUT'));
    const output = audit.stdout.slice(audit.stdout.indexOf('=== OUTPUT'));
    const out = path.join(imageDir, 'lynis');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'lynis-report.dat'), report);
    writeFileSync(path.join(out, 'lynis.out'), output);

    const index = Number(/^hardening_index=(\d+)$/m.exec(report)?.[1]);
    const tests = /^lynis_tests_done=(\d+)$/m.exec(report)?.[1];
    const suggestions = [...report.matchAll(/^suggestion\[\]=([^|]+)\|([^|]+)/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    console.log(
      `Lynis hardening index ${index} (${tests} tests); report in ${out}\n` +
        `suggestions:\n  ${suggestions.join('\n  ')}`,
    );
    expect(index).toBeGreaterThanOrEqual(GOAL);
  });
});
