import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/core/errors.js';
import { namedRealPath } from '../../src/core/system/named-path.js';
import { NOBODY } from '../helpers/owned-folders.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * A link in another user's folder is not followed (named-path.ts: `model import`, `bpkg install
 * ./x.bpkg`, `rag ingest`, `apply -f`…), and the refusal's hint hands the admin a command to paste:
 * 'Check where it leads (`realpath PATH`)'. PATH was pasted into it as it was, and the link's name
 * is the folder owner's (a stick's file): a name such as x$(touch pwned).gguf ran its command in
 * the admin's shell, as root, when the hint was pasted, the hole bc32aa6 closed for the folder
 * hint. The path is now one shell word (shellWord). The hint's command is run here by sh.
 */
const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)("the hint of a link refused in another user's folder", () => {
  it('quotes the path in its command: pasted, it runs nothing else', async () => {
    const base = tempDir('bp-unsafe-link-hint-');
    const theirs = path.join(base, 'stick');
    mkdirSync(theirs);
    writeFileSync(path.join(base, 'secret'), 'root only\n');
    const name = "x$(touch pwned)'`touch pwned2`'.gguf";
    symlinkSync(path.join(base, 'secret'), path.join(theirs, name));
    chownSync(theirs, NOBODY, NOBODY);

    const err = await namedRealPath(path.join(theirs, name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    const hint = (err as VerificationError).hint ?? '';
    const command = /`(realpath [\s\S]*?)`\);/.exec(hint)?.[1];
    expect(command, hint).toBeDefined();
    const cwd = tempDir('bp-unsafe-link-paste-');
    const printed = execFileSync('sh', ['-c', command!], { cwd, encoding: 'utf8' });
    expect(existsSync(path.join(cwd, 'pwned')), 'the pasted hint ran $(…)').toBe(false);
    expect(existsSync(path.join(cwd, 'pwned2')), 'the pasted hint ran `…`').toBe(false);
    // And it does what it says: where the link leads.
    expect(printed.trim()).toBe(path.join(base, 'secret'));
  });
});
