/**
 * A --root not there yet, for a command that makes a box: the note 'a new box is made there' was
 * printed before the command ran, also when it then failed and made nothing (`setup --answers
 * /missing`, `repo add` with a key not trusted) or made nothing on purpose (`apply --dry-run`). Now
 * the note comes once the command is over, and only when the folder was made.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { keyAddArgs } from '../helpers/key-add.js';
import { makeKey } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';
const missing = () => path.join(tempDir('bp-noroot-note-'), 'box');

describe('the note of a new box under a --root not there', () => {
  it('is not said when the command fails and makes nothing', async () => {
    for (const args of [
      ['setup', '--answers', path.join(tempDir('bp-noroot-note-'), 'none.yaml')],
      ['pkg', 'repo', 'add', 'main', 'https://example.invalid/repo', '--key', 'A'.repeat(40)],
    ]) {
      const root = missing();
      const r = await runCliHere(['--root', root, ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(existsSync(root), args.join(' ')).toBe(false);
      expect(r.err, args.join(' ')).not.toContain('new box');
    }
  });

  it('is not said by a dry run, which makes nothing', async () => {
    const spec = path.join(tempDir('bp-noroot-note-'), 'box.yaml');
    writeFileSync(spec, `hostname: box-01\nusers: [{ name: ops, admin: true, keys: ["${KEY}"] }]\n`);
    const root = missing();
    const r = await runCliHere(['--root', root, 'apply', '-f', spec, '--dry-run']);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(root)).toBe(false);
    expect(r.err).not.toContain('new box');
  });

  it('is said, once over, when the box was made', async () => {
    const key = await makeKey(path.join(tempDir('bp-noroot-note-'), 'key'));
    const root = missing();
    const r = await runCliHere(keyAddArgs(root, key));
    expect(r.code, r.err).toBe(0);
    expect(existsSync(root)).toBe(true);
    expect(r.err).toContain(`note: --root ${root} did not exist: a new box was made there`);
  });
});
