// Ctrl-C at the terminal while `blueprint system update` has handed the bundle to RAUC. RAUC's
// service installs it whatever becomes of its client (RAUC 1.8 cannot cancel an install), so the
// command must not say that nothing changed: it waits for RAUC's answer, says the slot that boots
// next, and exits 130 as a command that ran to its end past the signal. Real RAUC (rauc-sandbox.ts)
// and the built dist/blueprint, the signal sent to its whole process group as a terminal does.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const dist = new URL('../../dist/blueprint', import.meta.url).pathname;

describe.skipIf(missing)(`system update and Ctrl-C${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = raucForSuite();

  it('Ctrl-C once RAUC writes the slot: the install is said, never "nothing was changed"', async () => {
    const bundle = box.bundle('2.0.0');
    const logBefore = box.serviceLog.length;
    const child = spawn(dist, ['--root', box.root, 'system', 'update', bundle], {
      env: { ...process.env, ...box.env },
      detached: true, // a process group of its own, as a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    // The service has begun writing the bundle: from here on the install happens.
    for (let i = 0; !/installing .*: started/.test(box.serviceLog.slice(logBefore)); i++) {
      if (i > 600) throw new Error(`RAUC never began the install\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    // Whatever the command said, RAUC goes on to the end of its install: wait for it.
    for (let i = 0; !/installing .*(succeeded|failed)/.test(box.serviceLog.slice(logBefore)); i++) {
      if (i > 1000) throw new Error(`RAUC never finished the install\n${box.serviceLog}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const st = await box.rauc().run(['status', '--output-format=json']);
    expect(JSON.parse(st.stdout)).toMatchObject({ boot_primary: 'rootfs.1' });
    expect(code).toBe(130);
    expect(err).not.toMatch(/Nothing was changed|unchanged/);
    expect(out).toMatch(/Installed blueprintos-x86_64 2\.0\.0 into slot B/);
    expect(out).toMatch(/Slot B boots next/);
    expect(err).toMatch(/Interrupted by SIGINT/);
    expect(err).toMatch(/ran to its end: what it did is done/);
  }, 60_000);
});
