/**
 * `repo build` of a module folder whose name holds shell syntax. The folder names come from wherever
 * the modules came from (a clone of someone's module collection: git keeps any name, and
 * `blueprint repo build modules/*` passes each one safely), and two refusals hand the admin a
 * command with the folder's path in it: a module failing lint 'Fix them (blueprint module lint
 * DIR)', what a reviewer runs on a module not trusted yet, and a recipe folder 'node_modules/.bin/node
 * DIR/package.ts --out SRC'. DIR was pasted in as it was, so a folder named m$(touch pwned) ran its
 * command in the admin's shell when the hint was pasted (the hole 0cda03b and 45d2e59 closed for
 * other hints). The path is now one shell word. Each hint's command is run here by sh, with a
 * `blueprint` and a node that only record their arguments.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

const tmp = tempDir('bp-build-hint-');
const keys = path.join(tmp, 'keys');
const NAME = 'm$(touch pwned)`touch pwned2`x';

beforeAll(async () => {
  expect((await runCliHere(['repo', 'keygen', '--out', keys])).code).toBe(0);
});

/** Runs `command` as a pasted line: `blueprint` and `node_modules/.bin/node` record their arguments. */
function paste(command: string): { cwd: string; args: string[] } {
  const cwd = tempDir('bp-build-hint-paste-');
  const bin = path.join(cwd, 'bin');
  mkdirSync(path.join(cwd, 'node_modules/.bin'), { recursive: true });
  mkdirSync(bin);
  const recorder = `#!/bin/sh\nprintf '%s\\n' "$@" > "${cwd}/args"\n`;
  for (const f of [path.join(bin, 'blueprint'), path.join(cwd, 'node_modules/.bin/node')]) {
    writeFileSync(f, recorder);
    chmodSync(f, 0o755);
  }
  execFileSync('sh', ['-c', command], { cwd, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  return { cwd, args: readFileSync(path.join(cwd, 'args'), 'utf8').trimEnd().split('\n') };
}

async function build(dir: string) {
  return runCliHere([
    'repo',
    'build',
    dir,
    '--repo',
    path.join(tmp, 'repo'),
    '--key',
    path.join(keys, 'signing-key.asc'),
  ]);
}

describe('repo build hints naming a module folder', () => {
  it('the lint hint quotes the folder: pasted, it runs nothing else', async () => {
    const dir = path.join(tempDir('bp-build-hint-src-'), NAME);
    cpSync('modules/hello', dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.service.stray = true; // an unknown key: a lint error
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const r = await build(dir);
    expect(r.err).toContain('fails module lint');
    const command = /\((blueprint module lint .*)\), or build anyway/.exec(r.err)?.[1];
    expect(command, r.err).toBeDefined();
    const { cwd, args } = paste(command!);
    expect(existsSync(path.join(cwd, 'pwned')), 'the pasted hint ran $(…)').toBe(false);
    expect(existsSync(path.join(cwd, 'pwned2')), 'the pasted hint ran `…`').toBe(false);
    expect(args).toEqual(['module', 'lint', path.resolve(dir)]);
  });

  it("the recipe hint quotes the recipe's path: pasted, it runs nothing else", async () => {
    const dir = path.join(tempDir('bp-build-hint-src-'), NAME);
    cpSync('modules/hello', dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.ts'), '');
    const r = await build(dir);
    expect(r.code).toBe(2);
    const command = /`(node_modules\/\.bin\/node .* --out SRC)` \(Node 24/.exec(r.err)?.[1];
    expect(command, r.err).toBeDefined();
    const { cwd, args } = paste(command!.replace('SRC', 'out'));
    expect(existsSync(path.join(cwd, 'pwned')), 'the pasted hint ran $(…)').toBe(false);
    expect(existsSync(path.join(cwd, 'pwned2')), 'the pasted hint ran `…`').toBe(false);
    expect(args).toEqual([path.join(path.resolve(dir), 'package.ts'), '--out', 'out']);
  });
});
