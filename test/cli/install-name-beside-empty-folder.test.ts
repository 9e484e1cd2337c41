/**
 * `bpkg install hello` run in a folder that holds a folder `hello` (a module's source, a checkout)
 * on a box where no repository offers hello: it said 'hello is a folder, not a file' and to pass a
 * .bpkg file that folder does not hold, where apt says the package is not found (QA6's walk). A bare
 * name means the folder only when the folder holds what install takes (a .bpkg file, a bundle):
 * import-folder keeps those. Otherwise the name is a package name: 'No package hello …', exit 3.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

describe('bpkg install NAME beside a folder NAME that holds no package', () => {
  it('is the package name not found (exit 3), not a folder given for a file', async () => {
    const cwd = tempDir('bp-name-cwd-');
    mkdirSync(path.join(cwd, 'hello/src'), { recursive: true });
    writeFileSync(path.join(cwd, 'hello/manifest.json'), '{}');
    const r = await run(['--root', tempDir('bp-name-root-'), 'install', 'hello'], { argv0: 'bpkg', cwd });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('error: No package hello in the verified indexes');
    expect(r.stderr).not.toContain('is a folder');
  });
});
