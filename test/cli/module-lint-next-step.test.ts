import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

// `module new` ends with 'Next: … blueprint module lint NAME'; a clean lint ended with 'ok (0
// warnings)' and nothing after it, so an author had to find `repo build` and its options (and that
// a key comes from `repo keygen`) elsewhere (QA8's and QA9's walks). It now names the next step;
// a lint with errors keeps its 'fix the errors before `blueprint repo build`'.
const work = tempDir('bp-lint-next-');
afterAll(() => rm(work, { recursive: true, force: true }));

describe('module lint: the next step after a clean lint', () => {
  it('names the build (and the key) once the module is clean, and only then', async () => {
    expect((await run(['module', 'new', 'next-demo', '--dir', path.join(work, 'next-demo')])).code).toBe(0);
    const ok = await run(['module', 'lint', 'next-demo'], { cwd: work });
    expect(ok.code, ok.stderr).toBe(0);
    const lines = ok.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toBe('ok (0 warnings)');
    expect(lines.at(-1)).toBe(
      'Next: `sh next-demo/test.sh` (the whole path on a real Podman), or build it into a signed repository: `blueprint repo build next-demo --repo REPO --key KEY` (a key: `blueprint repo keygen --out keys/`)',
    );
    const json = await run(['--json', 'module', 'lint', 'next-demo'], { cwd: work });
    expect(JSON.parse(json.stdout).ok).toBe(true);
  });
});
