/**
 * `blueprint status` (text and --json) said nothing of the OS itself or of egress. It now says the
 * running version and, where RAUC answers, which A/B slot runs and which boots next; and whether
 * egress is default deny and what may go out. A RAUC that hangs or is busy does not make status
 * fail, hang or change its exit code: the slots are 'unknown (why)'. The real executable, a fake
 * `rauc` first on PATH.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { RAUC_STATUS_FIXTURE, raucBin, statusBox } from '../helpers/status-box.js';
import { tempDir } from '../setup/temp-registry.js';

const fixture = RAUC_STATUS_FIXTURE;

function run(args: string[], bin: string, env: Record<string, string> = {}) {
  const child = spawn(blueprintExe, args, {
    env: { PATH: `${bin}:/usr/bin:/bin`, CONTAINER_HOST: 'unix:///nonexistent/podman.sock', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const started = Date.now();
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err, ms: Date.now() - started });
    }),
  );
}

/** A set-up box: its version, blueprint's firewall rules, the network choices setup stored. */
const setUpBox = () =>
  statusBox('1.4.2', {
    dns: { servers: ['9.9.9.9'], tls: false },
    ntp: ['time.example.org'],
    unattendedUpgrades: false,
    allow: ['repo.example.org:443', '192.168.1.10:8080'],
  });

const WHOLE = ['9.9.9.9:53', 'time.example.org:123', 'repo.example.org:443', '192.168.1.10:8080'];

describe('status: the system and egress', () => {
  it('text: the version, the slot booted and the next, default deny with the first destinations', async () => {
    const r = await run(['--root', setUpBox(), 'status'], raucBin(`cat ${fixture}`));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}system: version 1\.4\.2, slot A booted, B boots next$/m);
    expect(r.out).toMatch(
      /^ {2}egress: default deny; 4 allowed out: 9\.9\.9\.9:53, time\.example\.org:123, repo\.example\.org:443, … \(all: blueprint --json status\)$/m,
    );
    expect(r.out).toMatch(/^ {2}exposure: /m); // the lines before stay
  });

  it('--json: system and egress added, the other fields as they were', async () => {
    const r = await run(['--root', setUpBox(), '--json', 'status'], raucBin(`cat ${fixture}`));
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining([
        'version',
        'root',
        'setUp',
        'host',
        'packages',
        'updates',
        'services',
        'damagedServices',
        'exposure',
        'encryption',
      ]),
    );
    expect(doc.system).toEqual({ version: '1.4.2', bootedSlot: 'A', nextSlot: 'B', slotsAvailable: true });
    expect(doc.egress).toEqual({ policy: 'deny', destinations: WHOLE });
  });

  it('a RAUC that never answers: status ends, exit 0, the slots unknown (why)', async () => {
    const root = setUpBox();
    const hang = raucBin('exec sleep 30');
    const r = await run(['--root', root, 'status'], hang, { BLUEPRINT_RAUC_TIMEOUT_MS: '1000' });
    expect(r.code, r.err).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.out).toMatch(/^ {2}system: version 1\.4\.2, slots unknown \(RAUC did not answer within 1 s\)$/m);
    expect(r.out).toMatch(/^ {2}egress: default deny; 4 allowed out/m);
    const j = await run(['--root', root, '--json', 'status'], hang, { BLUEPRINT_RAUC_TIMEOUT_MS: '1000' });
    expect(j.code, j.err).toBe(0);
    expect(JSON.parse(j.out).system).toMatchObject({
      version: '1.4.2',
      bootedSlot: null,
      nextSlot: null,
      slotsAvailable: false,
      slotsUnavailable: { code: 'rauc-timeout' },
    });
  });

  it('a RAUC busy installing: exit 0, said as busy', async () => {
    const busy = raucBin(
      `echo 'Error retrieving slot status via D-Bus: error calling D-Bus method "GetSlotStatus": already processing a different method' >&2; exit 1`,
    );
    const r = await run(['--root', setUpBox(), 'status'], busy);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^ {2}system: version 1\.4\.2, slots unknown \(RAUC is busy installing an update: /m,
    );
  });

  it('before setup, no A/B slots (rauc missing, or none configured for the root), no firewall: exit 0', async () => {
    const r = await run(['--root', tempDir('bp-status-bare-'), '--json', 'status'], tempDir('bp-no-rauc-'));
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.system).toMatchObject({ version: null, slotsAvailable: false, slotsAbsent: true });
    expect(doc.system.slotsUnavailable.code).toMatch(/^rauc-(missing|unavailable)$/);
    expect(doc.egress).toEqual({ policy: 'none', destinations: [] });
    const t = await run(['--root', tempDir('bp-status-bare-'), 'status'], tempDir('bp-no-rauc-'));
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/^ {2}system: version unknown, no A\/B slots$/m);
    expect(t.out).toMatch(/^ {2}egress: not restricted \(no firewall rules at etc\/nftables\.conf\)$/m);
  });

  it('status --help names the new fields', async () => {
    const r = await run(['status', '--help'], tempDir('bp-no-rauc-'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}system +.*slot/m);
    expect(r.out).toMatch(/^ {2}egress +.*default deny/m);
  });
});
