/**
 * `blueprint module lint` is what a reviewer runs on a module someone else wrote: its 'sandbox
 * loosened (for the reviewer)' block quotes each `service.justification` after the field it
 * justifies. The schema lets a justification keep newlines (hasControlButLines); a newline in one
 * started a line of the author's choosing in that block, one that can pass for another loosened
 * field's line or for the report's verdict. Each justification is now shown on its own line, escaped
 * (escapeLine: `\x0a` visible), as every other untrusted one-line value. So is each finding: zod's
 * 'Unrecognized key: "…"' quotes a key of the manifest as it is, breaks and all, and a service key
 * 'evil\nerror:   forged' printed an `error:` line of the author's own.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';

const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FORGED = '  service.network = none (default: none): "nothing else"';
// Newlines only: the schema refuses the other controls in a justification (hasControlButLines).
const HOSTILE = `the data folder"\n${FORGED}\nok (0 warnings)`;

describe('module lint of a manifest whose justification holds lines and controls', () => {
  const dir = join(tempDir('bp-lint-justification-'), 'hello');
  beforeAll(() => {
    cpSync(join(repoRoot, 'modules/hello'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.service.justification = { data: HOSTILE };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });

  it('shows it on the line of the field it justifies, escaped, and forges no line', async () => {
    const r = await runCliHere(['module', 'lint', dir]);
    const lines = r.out.split('\n');
    expect(r.out + r.err).not.toMatch(RAW);
    expect(lines).not.toContain(FORGED);
    expect(lines.filter((l) => l.startsWith('ok ('))).toEqual([
      expect.stringMatching(/^ok \(\d+ warnings?\)$/),
    ]);
    const data = lines.filter((l) => l.startsWith('  service.data = '));
    expect(data).toHaveLength(1);
    expect(data[0]).toContain('"the data folder"\\x0a  service.network = none');
    // --json keeps the text as the manifest has it: only its encoding changes.
    const json = await runCliHere(['--json', 'module', 'lint', dir]);
    expect(json.out).not.toMatch(RAW);
    const loosened = JSON.parse(json.out).loosened as { field: string; justification?: string }[];
    expect(loosened.find((l) => l.field === 'data')?.justification).toBe(HOSTILE);
  });
});

describe('module lint of a manifest with an unknown service key that holds a line', () => {
  const dir = join(tempDir('bp-lint-key-'), 'hello');
  const KEY = 'evil\nerror:   service.forged: the author wrote this line';
  beforeAll(() => {
    cpSync(join(repoRoot, 'modules/hello'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.service[KEY] = 1;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });

  it('names it in one finding, its break visible', async () => {
    const r = await runCliHere(['module', 'lint', dir]);
    const lines = r.out.split('\n');
    expect(lines.filter((l) => l.includes('service.forged'))).toEqual([
      'error:   service: Unrecognized key: "evil\\x0aerror:   service.forged: the author wrote this line"',
    ]);
    expect(r.code).toBe(4);
  });
});
