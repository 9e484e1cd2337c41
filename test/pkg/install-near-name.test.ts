/**
 * `bpkg install hello-dat` (a typo), `bpkg install Hello-Data` (the case) or `bpkg install
 * hello-data=1.0.0` (apt's way of naming a version): 'No package … in the verified indexes' with
 * 'Run `bpkg update`, or check the name with `bpkg search`'. The hint names the package meant
 * (`bpkg install hello-data`), and for NAME=VERSION the form bpkg takes (hello-data@1.0.0). A name
 * near none keeps the old hint. Nothing is installed (exit 3). `bpkg info` likewise. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg install of a name the indexes do not have', () => {
  it('suggests the near name, or NAME@VERSION for apt’s NAME=VERSION', async () => {
    const { key, repo } = await signedRepo([
      { name: 'hello-data', version: '1.0.0' },
      { name: 'embeddings', version: '2.0.0' },
    ]);
    const root = await trustingRoot(key, repo);
    // The commands a hint names carry the --root typed (test/cli/hint-root).
    const on = (hint: string) => hint.replaceAll('`bpkg ', `\`bpkg --root ${root} `);
    for (const [typed, hint] of [
      ['hello-dat', 'Did you mean hello-data? `bpkg install hello-data`'],
      ['Hello-Data', 'Did you mean hello-data? `bpkg install hello-data`'],
      ['embedings', 'Did you mean embeddings? `bpkg install embeddings`'],
      ['hello-data=1.0.0', 'A version is named with @: `bpkg install hello-data@1.0.0`'],
      ['zzz', 'Run `bpkg update`, or check the name with `bpkg search`.'],
    ] as const) {
      const r = await bpkg(root, ['--yes', 'install', typed]);
      expect(r.code, typed).toBe(3);
      expect(r.stderr, typed).toContain(`error: No package ${typed} in the verified indexes`);
      expect(r.stderr, typed).toContain(`hint: ${on(hint)}`);
      const json = await bpkg(root, ['--json', '--yes', 'install', typed]);
      expect(JSON.parse(json.stdout).error.hint, typed).toBe(on(hint));
    }
    expect(JSON.parse((await bpkg(root, ['--json', 'list'])).stdout)).toEqual([]);
    // bpkg info: the same, for info.
    for (const typed of ['hello-dat', 'hello-data=1.0.0']) {
      const r = await bpkg(root, ['info', typed]);
      expect(r.code, typed).toBe(3);
      expect(r.stderr, typed).toContain(`error: No package named ${typed}`);
      expect(r.stderr, typed).toContain(on('hint: Did you mean hello-data? `bpkg info hello-data`'));
    }
    expect((await bpkg(root, ['info', 'zzz'])).stderr).toContain(
      on('hint: Run `bpkg update`, then `bpkg search WORD`.'),
    );
  });
});
