// image/rauc/health-check judges a boot on trial, not a system the box already kept. A slot marked
// good (its loader entry blessed, no counter) that boots slowly or unhealthily once (Podman's
// storage recovering after a power cut, a full /data) was marked bad and the box rebooted into the
// other slot: the older system, booted as if an update had failed, with the newer one marked bad
// (and `apply` then not trying it again). The real script, the real RAUC service and bootloader
// backend of test/update/rauc-sandbox.ts; systemctl is a stand-in that says the services watcher
// is down and records a reboot asked for, and the kernel command line is the test's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const script = new URL('../../image/rauc/health-check', import.meta.url).pathname;

describe.skipIf(missing)(
  `the health check of a slot already marked good${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = raucForSuite();
    const system = () => openBox(box.root).system;

    /** Runs the health check on the booted slot, the services watcher down: its exit, output, reboot asked. */
    function unhealthyBoot() {
      const bin = path.join(box.dir, 'health-bin');
      const rebooted = path.join(box.dir, 'reboot-asked');
      mkdirSync(bin, { recursive: true });
      spawnSync('rm', ['-f', rebooted]);
      writeFileSync(
        path.join(bin, 'systemctl'),
        `#!/bin/sh\ncase "$*" in *reboot*) echo "$*" >>${rebooted}; exit 0 ;; esac\nexit 3\n`,
        { mode: 0o755 },
      );
      writeFileSync(
        path.join(bin, 'rauc'),
        `#!/bin/sh\nexec /usr/bin/rauc --conf=${path.join(box.root, 'etc/rauc/system.conf')} "$@"\n`,
        { mode: 0o755 },
      );
      const cmdline = path.join(box.dir, 'cmdline');
      writeFileSync(
        cmdline,
        `root=PARTLABEL=root-${box.booted.toLowerCase()} rauc.slot=${box.booted} ro quiet\n`,
      );
      const r = spawnSync('sh', [script], {
        encoding: 'utf8',
        env: {
          ...process.env,
          ...box.env,
          PATH: `${bin}:${process.env.PATH}`,
          BLUEPRINT_HEALTH_SECONDS: '1',
          BLUEPRINT_CMDLINE: cmdline,
        },
      });
      return { code: r.status, out: r.stdout + r.stderr, rebooted: existsSync(rebooted) };
    }

    it('v2 kept (marked good) and unhealthy at a later boot: it stays, no reboot into v1', async () => {
      await system().update(box.bundle('2.0.0'));
      expect(await box.reboot()).toBe('B');
      await system().markBooted('good');
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b.conf']);
      expect(await box.reboot()).toBe('B');
      const r = unhealthyBoot();
      expect(r.out).toMatch(/unhealthy: the services watcher is not running/);
      expect(r.rebooted, r.out).toBe(false);
      expect(r.code).toBe(1);
      // Before: blueprint-b+0.conf and a reboot, slot A (1.0.0) booted next.
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b.conf']);
      expect(await box.reboot()).toBe('B');
      expect((await system().status()).version).toBe('2.0.0');
    });

    it('v3 on trial and unhealthy: marked bad and rebooted, back on v2 (as before)', async () => {
      await system().update(box.bundle('3.0.0'));
      expect(await box.reboot()).toBe('A');
      expect(box.entries()).toEqual(['blueprint-a+2-1.conf', 'blueprint-b.conf']);
      const r = unhealthyBoot();
      expect(r.out).toMatch(/marking slot bad and rebooting into the other slot/);
      expect(r.rebooted).toBe(true);
      expect(box.entries()).toEqual(['blueprint-a+0.conf', 'blueprint-b.conf']);
      expect(await box.reboot()).toBe('B');
      expect((await system().status()).version).toBe('2.0.0');
    });
  },
);
