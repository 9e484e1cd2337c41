/**
 * `blueprint --root NEW pkg clean` on a box that never downloaded anything made
 * var/lib/blueprint/pkg (for the package lock) and said 'The package cache holds nothing to
 * remove.': a command that frees disk space left folders behind. With no cache there is nothing
 * to clean: it says so and changes nothing on disk, as `apt clean` on an empty cache does.
 * `pkg recover` with no package state likewise has nothing to recover.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

describe('pkg clean / pkg recover on an empty root', () => {
  it('pkg clean: "nothing to clean", exit 0, nothing made (also --dry-run, --json)', async () => {
    const root = tempDir('bp-clean-empty-');
    const r = await runCliHere(['--root', root, 'pkg', 'clean']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/nothing to clean/i);
    expect(readdirSync(root)).toEqual([]);
    const dry = await runCliHere(['--root', root, 'pkg', 'clean', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/nothing to clean/i);
    expect(readdirSync(root)).toEqual([]);
    const json = await runCliHere(['--root', root, '--json', 'pkg', 'clean']);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ removed: [], bytes: 0 });
    expect(readdirSync(root)).toEqual([]);
  });

  it('pkg recover: "No interrupted transaction.", nothing made', async () => {
    const root = tempDir('bp-clean-empty-');
    const r = await runCliHere(['--root', root, 'pkg', 'recover']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No interrupted transaction.');
    expect(readdirSync(root)).toEqual([]);
  });
});
