/**
 * QA26: a usage error's example is a command to paste, but five of them were plain text, not in
 * backticks, so they kept no --root (README: the commands a hint names carry `--root DIR`):
 * `blueprint --root R apply` said 'hint: Example: blueprint apply -f appliance.yaml --dry-run',
 * which pasted plans against the live box, /. Now each is a command in backticks with the typed
 * --root: apply (no file; a file twice), model import without --name, rag ask with an empty
 * question, system update with a file and --from; and service config's KEY=VALUE, whose example
 * named llm's LLM_PARALLEL for any module (hello has no such setting). Nothing is written.
 * The executable.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const hint = (stderr: string) => /^hint: (.*)$/m.exec(stderr)?.[1] ?? '';

describe('a usage error example carries the typed --root', () => {
  it.each([
    [['apply'], 'Example: `blueprint --root ROOT apply -f appliance.yaml --dry-run`'],
    [
      ['apply', '-f', 'a.yaml', 'b.yaml'],
      'Example: `blueprint --root ROOT apply -f appliance.yaml --dry-run`',
    ],
    [
      ['model', 'import', 'x.gguf'],
      'Example: `blueprint --root ROOT model import /media/usb/qwen2.5-0.5b-q4_k_m.gguf --name qwen2-5-0-5b`',
    ],
    [
      ['service', 'config', 'hello', '=x'],
      'Give each setting as KEY=VALUE: `blueprint --root ROOT service config hello` lists those hello takes.',
    ],
    [['rag', 'ask', ' '], 'Example: `blueprint --root ROOT rag ask "How do I reset the filter?"`'],
    [
      ['system', 'update', 'x.raucb', '--from', 'main'],
      'Example: `blueprint --root ROOT system update --from REPO`',
    ],
  ])('%j', async (args, want) => {
    const root = tempDir('bp-example-root-');
    const r = await run(['--root', root, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(hint(r.stderr)).toBe(want.replace('ROOT', root));
    const json = await run(['--json', '--root', root, ...args]);
    expect(JSON.parse(json.stdout).error.hint).toBe(want.replace('ROOT', root));
    expect(readdirSync(root)).toEqual([]);
  });
});
