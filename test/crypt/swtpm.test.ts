import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptDevice, parseLuksDump, readEncryptionState } from '../../src/core/crypt/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { canLoop, detach, loopDevice, opens } from './loop-helpers.js';

/**
 * The TPM path with a real software TPM: swtpm 0.7 on TCP, reached by systemd 252 through the
 * tpm2-tss "swtpm" TCTI (`--tpm2-device=swtpm:port=N`), since this host's kernel has no TPM driver
 * for /dev/tpmrm0 (no tpm_vtpm_proxy, no CUSE). systemd-cryptsetup unseals the key and then fails
 * only at mapping (no device mapper here): its own words tell which step failed. The box's
 * Secure Boot state changing is PCR 7 extended: the TPM then refuses and the recovery key is what
 * opens the volume. (swtpm-tools, libtss2-tcti-swtpm0, tpm2-tools: scripts/setup-host.sh.)
 */
const canTpm =
  canLoop &&
  ['/usr/bin/swtpm', '/usr/bin/tpm2_pcrextend', '/lib/systemd/systemd-cryptsetup'].every((p) =>
    existsSync(p),
  ) &&
  [
    '/usr/lib/x86_64-linux-gnu/libtss2-tcti-swtpm.so.0',
    '/usr/lib/aarch64-linux-gnu/libtss2-tcti-swtpm.so.0',
  ].some((p) => existsSync(p));

describe.skipIf(!canTpm)('TPM 2.0 enrolment with a software TPM', () => {
  let dir: string;
  let dev: string;
  let swtpm: ChildProcess | undefined;
  const port = 20000 + (process.pid % 20000);
  const tcti = `swtpm:port=${port}`;
  // Each start is a power cycle: PCRs reset to zero, sealed objects survive in the state folder.
  const startTpm = async () => {
    swtpm = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${path.join(dir, 'tpm')}`,
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'startup-clear,not-need-init',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      if (
        spawnSync('tpm2_pcrread', ['sha256:7'], { env: { ...process.env, TPM2TOOLS_TCTI: tcti } }).status ===
        0
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('swtpm did not start');
  };
  const stopTpm = async () => {
    if (!swtpm) return;
    const exited = new Promise((r) => swtpm!.once('exit', r));
    swtpm.kill();
    await exited;
    swtpm = undefined;
  };
  const attach = (env: Record<string, string> = {}) =>
    spawnSync(
      '/lib/systemd/systemd-cryptsetup',
      ['attach', `bpt${process.pid}`, dev, 'none', `tpm2-device=${tcti},headless=true`],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...env },
      },
    );

  beforeAll(async () => {
    dir = tempDir('bp-swtpm-');
    await mkdir(path.join(dir, 'tpm'));
    dev = await loopDevice(dir, 'data.img');
    await startTpm();
  });
  afterAll(async () => {
    await stopTpm();
    if (dev) {
      spawnSync('/lib/systemd/systemd-cryptsetup', ['detach', `bpt${process.pid}`]);
      detach(dev);
    }
  });

  it('seals to PCR 7, unseals at boot, and after PCR 7 changes only the recovery key opens it', async () => {
    const crypttab = path.join(dir, 'root/etc/crypttab');
    const r = await encryptDevice({
      device: dev,
      name: 'data',
      mode: 'tpm',
      tpm2Device: tcti,
      crypttab,
      fastKdf: true,
    });
    const info = parseLuksDump(
      execFileSync('cryptsetup', ['luksDump', '--dump-json-metadata', dev], { encoding: 'utf8' }),
    )!;
    expect(info).toEqual({ tpm2Enrolled: true, tpm2Pcrs: [7], recoveryKeyEnrolled: true, plainSlots: [] });
    expect(await readFile(crypttab, 'utf8')).toBe(
      `data UUID=${r.uuid} none luks,discard,tpm2-device=${tcti}\n`,
    );
    expect(await readEncryptionState({ root: path.join(dir, 'root'), device: dev })).toMatchObject({
      encrypted: true,
      unlockedBy: 'tpm',
      recoveryKeyEnrolled: true,
      pcrs: [7],
    });

    // Next boot, same state: the TPM gives the key (the mapping itself needs a device mapper).
    await stopTpm();
    await startTpm();
    const boot = attach();
    const said = `${boot.stdout}${boot.stderr}`;
    // libdevmapper may make /dev/mapper/control itself: the kernel's own list says whether dm exists.
    if (readFileSync('/proc/misc', 'utf8').includes('device-mapper')) expect(boot.status).toBe(0);
    else expect(said).toContain('Failed to activate with TPM2 acquired key');
    expect(said).not.toContain('falling back to traditional unlocking');

    // The Secure Boot policy changed (PCR 7): the TPM refuses, systemd-cryptsetup falls back to
    // asking (headless here: it gives up), and the recovery key still opens the volume.
    await stopTpm();
    await startTpm();
    execFileSync('tpm2_pcrextend', [`7:sha256=${'ab'.repeat(32)}`], {
      env: { ...process.env, TPM2TOOLS_TCTI: tcti },
    });
    const changed = attach();
    expect(changed.status).not.toBe(0);
    expect(`${changed.stdout}${changed.stderr}`).toContain('falling back to traditional unlocking');
    expect(opens(dev, r.recoveryKey)).toBe(true);
  }, 120_000);

  // The initramfs (image/crypt/unlock) runs systemd-cryptsetup with tpm2-tss's own log turned off:
  // on a cleared TPM, tss2 prints "WARNING:esys:...Esys_Load_Finish() Received TPM Error" and an
  // ERROR line before systemd's own message, noise above the recovery-key prompt.
  it('a cleared TPM: systemd says why, and with the initramfs TSS2_LOG nothing of tpm2-tss', async () => {
    const script = readFileSync(new URL('../../image/crypt/unlock', import.meta.url), 'utf8');
    const setting = /(TSS2_LOG=\S+) \/lib\/systemd\/systemd-cryptsetup attach/.exec(script)?.[1];
    expect(setting).toBeDefined();
    const [name, value] = setting!.split('=') as [string, string];
    await stopTpm();
    await rm(path.join(dir, 'tpm'), { recursive: true, force: true });
    await mkdir(path.join(dir, 'tpm'));
    await startTpm();
    const noisy = attach();
    const tss2 = /^(ERROR|WARNING):(esys|tcti|sys|mu|fapi)/m;
    // Without the setting tpm2-tss speaks (the check below could fail)...
    expect(`${noisy.stdout}${noisy.stderr}`).toMatch(tss2);
    const quiet = attach({ [name]: value });
    const said = `${quiet.stdout}${quiet.stderr}`;
    expect(quiet.status).not.toBe(0);
    expect(said).toContain('falling back to traditional unlocking');
    expect(said).not.toMatch(tss2);
  }, 120_000);
});
