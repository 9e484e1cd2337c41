/**
 * `blueprint --root TREE status` reads any tree (an image mounted to inspect, another user's
 * folder), and its encryption line reads two of the tree's files: etc/crypttab (read as the file
 * itself, but through a link in a folder above it: `TREE/etc` a link out had another crypttab's
 * `luks` entry shown as the tree's encryption) and var/lib/blueprint/recovery-key-where (opened
 * O_NOFOLLOW|O_NONBLOCK and judged after the open: a FIFO's writer woken, a device node's driver
 * opened; and a link above it followed: another note shown as where the tree's key is). Now both are
 * read through beneath.ts's descriptors, each judged on an O_PATH descriptor before it is opened.
 * A tree's TPM files (sys/class/tpm, dev/tpmrm0) likewise.
 * The real executable.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { countedFifo } from './counted-fifo.js';

const env = { CONTAINER_HOST: 'unix:///nonexistent/podman.sock', BLUEPRINT_RAUC_TIMEOUT_MS: '1000' };

async function encryptionOf(root: string) {
  const r = await run(['--root', root, '--json', 'status'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).encryption;
}

/** An etc whose crypttab says the data partition is LUKS with the TPM; a note of where the key is. */
function encryptedFiles(etc: string, state: string): void {
  mkdirSync(etc, { recursive: true });
  writeFileSync(path.join(etc, 'crypttab'), 'data PARTLABEL=data none luks,tpm2-device=auto\n');
  mkdirSync(state, { recursive: true });
  writeFileSync(path.join(state, 'recovery-key-where'), 'on the stick in the outside drawer\n');
}

describe('status of a tree: its encryption files', () => {
  it('read as its own where they are (the control)', async () => {
    const root = tempDir('bp-tree-enc-own-');
    encryptedFiles(path.join(root, 'etc'), path.join(root, 'var/lib/blueprint'));
    const enc = await encryptionOf(root);
    expect(enc.encrypted).toBe(true);
    expect(enc.recoveryKeyNote).toContain('outside drawer');
  });

  it('TREE/etc and TREE/var/lib/blueprint links out: neither crypttab nor note of the folders they lead to', async () => {
    const outside = tempDir('bp-tree-enc-outside-');
    encryptedFiles(path.join(outside, 'etc'), path.join(outside, 'state'));
    const root = tempDir('bp-tree-enc-link-');
    symlinkSync(path.join(outside, 'etc'), path.join(root, 'etc'));
    mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    symlinkSync(path.join(outside, 'state'), path.join(root, 'var/lib/blueprint'));
    const enc = await encryptionOf(root);
    expect(enc.encrypted).toBe(false);
    expect(JSON.stringify(enc)).not.toContain('outside drawer');
  });

  it('a FIFO at the recovery key note is not opened (its writer not woken)', async () => {
    const root = tempDir('bp-tree-enc-fifo-');
    mkdirSync(path.join(root, 'var/lib/blueprint'), { recursive: true });
    const counted = countedFifo(path.join(root, 'var/lib/blueprint/recovery-key-where'));
    try {
      const enc = await encryptionOf(root);
      expect(enc.recoveryKeyNote).toBeUndefined();
      expect(counted.opens(), 'recovery-key-where was opened').toBe(0);
    } finally {
      await counted.stop();
    }
  });

  it("TREE/sys and TREE/dev links out: another machine's TPM is not the tree's", async () => {
    const outside = tempDir('bp-tree-tpm-outside-');
    mkdirSync(path.join(outside, 'sys/class/tpm/tpm0'), { recursive: true });
    writeFileSync(path.join(outside, 'sys/class/tpm/tpm0/tpm_version_major'), '2\n');
    mkdirSync(path.join(outside, 'dev'));
    writeFileSync(path.join(outside, 'dev/tpmrm0'), '');
    const root = tempDir('bp-tree-tpm-link-');
    symlinkSync(path.join(outside, 'sys'), path.join(root, 'sys'));
    symlinkSync(path.join(outside, 'dev'), path.join(root, 'dev'));
    expect((await encryptionOf(root)).tpmPresent).toBe(false);
    // The control: the same files as the tree's own.
    expect((await encryptionOf(outside)).tpmPresent).toBe(true);
  });
});
