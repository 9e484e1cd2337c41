/**
 * An invalid apply description's hint names its fields since fcecc5b0 ("Fix hostname and ssh.enabeld
 * in box.yaml"): every unknown key, whole. A description with 3,000 unknown keys (a template gone
 * wrong in a playbook) printed a 46 KB error, the message and then the hint each listing all of them,
 * and one key of 10,000 characters was printed twice whole. Now the message and the hint each name
 * at most six fields, each cut, and count the rest. A key's control characters stay escaped.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

async function applyFile(doc: Record<string, unknown>, ...flags: string[]) {
  const dir = tempDir('bp-hint-bounded-');
  const file = path.join(dir, 'box.yaml');
  writeFileSync(file, JSON.stringify(doc));
  return runCliHere(['--root', path.join(dir, 'root'), ...flags, 'apply', '-f', file]);
}

describe("an invalid description's error names a bounded number of fields, each cut", () => {
  it('3,000 unknown keys: six named in the message and in the hint, the rest counted', async () => {
    const doc: Record<string, unknown> = { hostname: 'box' };
    for (let i = 0; i < 3000; i++) doc[`k${i}`] = 1;
    const r = await applyFile(doc);
    expect(r.code).toBe(2);
    expect(r.err.length, r.err.slice(0, 400)).toBeLessThan(1500);
    expect(r.err).toMatch(/error: .*"k0".*2,?994 more/);
    expect(r.err).toMatch(/hint: Fix k0, .*2,?994 more/);
    expect(r.err).not.toContain('k7,');
  });

  it('a key of 10,000 characters is cut; --json too', async () => {
    const r = await applyFile({ hostname: 'box', ['x'.repeat(10_000)]: 1 });
    expect(r.code).toBe(2);
    expect(r.err.length, r.err.slice(0, 400)).toBeLessThan(1000);
    expect(r.err).toMatch(/hint: Fix x{20,}…/);
    const json = await applyFile({ hostname: 'box', ['x'.repeat(10_000)]: 1 }, '--json');
    expect(json.out.length, json.out.slice(0, 400)).toBeLessThan(1000);
  });

  it("a key's control characters stay escaped, its line break indented", async () => {
    const r = await applyFile({ hostname: 'box', 'a\x1b]0;t\x07\u202e\nerror: fake': 1 });
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/[\x1b\x07\u202e]/);
    expect(r.err).not.toMatch(/^error: fake/m);
  });
});
