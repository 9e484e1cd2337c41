/**
 * `bpkg install ./app_1.0.0_all.bpkg` whose dependency no repository has: the hint 'Pass the
 * dependency's package file too: bpkg install ./… ./base-lib_VERSION_ARCH.bpkg' named the command
 * outside backticks, so after `--root DIR` it was shown without the --root and, pasted, installed on
 * the live box. Now in backticks, with the --root. It named the file `./FILE_NAME` whatever path was
 * typed, so from another folder the command did not work as written: now the path typed.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { keyAddArgs } from '../helpers/key-add.js';
import { APP_WITH_LIB, signedRepo, tempDir } from '../helpers/pkg.js';

describe('a package file whose dependency is nowhere', () => {
  it('names the install of both files with the --root typed', async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    const root = tempDir('bp-local-dep-');
    const trust = await runCliHere(keyAddArgs(root, key));
    expect(trust.code, trust.err).toBe(0);
    const dir = path.join(repo, 'pool/app');
    const file = readdirSync(dir).find((f) => f.endsWith('.bpkg'))!;
    const r = await runCliHere(['--root', root, '--yes', 'pkg', 'install', path.join(dir, file)]);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain("hint: Pass the dependency's package file too: `bpkg --root");
    // The file as typed (here a path from elsewhere, as `/media/usb/app_1.0.0_all.bpkg`), not
    // `./FILE` (which works only from its folder); its dependency looked for beside it.
    expect(r.err).toContain(
      `\`bpkg --root ${root} install ${path.join(dir, file)} ${path.join(dir, 'base-lib_VERSION_ARCH.bpkg')}\``,
    );
  });
});
