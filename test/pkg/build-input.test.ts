import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { buildRepository } from '../../src/core/pkg/build.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint repo build` with a source folder that is not there, a signing key file that is not
 * there, or the public key where the private one goes: the first two sources were built into the
 * pool before the bad one was met, and the key was first read when the first package was signed.
 * So the repository folder was left with unsigned packages and no index, and a missing key or a
 * public one was an internal error ('This is a bug in blueprint'). Each is said plainly, before
 * anything is written.
 */
let key: TestKey;
let good: string;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  good = makeSource(path.join(tempDir(), 'src'), { name: 'tool', version: '1.0.0' });
});

const build = (sources: string[], keyFile: string) => {
  const repoDir = path.join(tempDir(), 'repo');
  const run = buildRepository({ sources, repoDir, name: 'repo', signer: { keyFile } });
  return {
    repoDir,
    err: run.then(
      () => undefined,
      (e) => e,
    ),
  };
};

describe('repo build refuses bad input before it writes', () => {
  it('a source folder that does not exist: not found, named; no repository folder', async () => {
    const missing = path.join(tempDir(), 'nope');
    const { repoDir, err } = build([good, missing], key.privateFile);
    expect(await err).toMatchObject({ exitCode: ExitCode.notFound, message: `${missing} does not exist` });
    expect(existsSync(repoDir)).toBe(false);
  });

  it('a folder without manifest.json: not found, named; no repository folder', async () => {
    const empty = tempDir();
    const { repoDir, err } = build([good, empty], key.privateFile);
    expect(await err).toMatchObject({
      exitCode: ExitCode.notFound,
      message: `${empty} has no manifest.json`,
    });
    expect(existsSync(repoDir)).toBe(false);
  });

  it('a signing key file that does not exist: not found, not an internal error; nothing written', async () => {
    const missing = path.join(tempDir(), 'nope.asc');
    const { repoDir, err } = build([good], missing);
    const e = await err;
    expect(e).toMatchObject({ exitCode: ExitCode.notFound });
    expect(e.message).toContain(missing);
    expect(e.code).not.toBe('internal');
    expect(existsSync(repoDir)).toBe(false);
  });

  it('the public key given as the signing key: said so, with what to give; nothing written', async () => {
    const { repoDir, err } = build([good], key.publicFile);
    const e = await err;
    expect(e).toMatchObject({ exitCode: ExitCode.usage, message: `${key.publicFile} is not a private key` });
    expect(e.hint).toMatch(/signing-key\.asc/);
    expect(existsSync(repoDir)).toBe(false);
  });
});

describe('repo sign', () => {
  it('a signing key file that does not exist: not found, not an internal error; no .asc', async () => {
    const { signFile } = await import('../../src/core/pkg/build.js');
    const file = path.join(tempDir(), 'index.json');
    (await import('node:fs')).writeFileSync(file, '{}');
    const missing = path.join(tempDir(), 'nope.asc');
    const e = await signFile(file, { keyFile: missing }).catch((x) => x);
    expect(e).toMatchObject({ exitCode: ExitCode.notFound });
    expect(e.message).toContain(missing);
    expect(existsSync(`${file}.asc`)).toBe(false);
  });
});

describe('repo rotate-key and repo publish need a built repository', () => {
  it('rotate-key on a folder that is not one: not found, nothing made there', async () => {
    const { announceKeyRotation } = await import('../../src/app/publish.js');
    const dir = path.join(tempDir(), 'no-repo');
    const e = await announceKeyRotation(dir, 'armored', key.fingerprint, { keyFile: key.privateFile }).catch(
      (x) => x,
    );
    expect(e).toMatchObject({
      exitCode: ExitCode.notFound,
      message: `${dir} is not a built repository (no index.json)`,
    });
    expect(e.hint).toContain('blueprint repo build');
    expect(existsSync(dir)).toBe(false);
  });

  it('publish of a folder that does not exist: not found, not an internal error', async () => {
    const { publishRepository } = await import('../../src/app/publish.js');
    const dir = path.join(tempDir(), 'no-repo');
    const e = await publishRepository(dir, 's3://bucket/prefix').catch((x) => x);
    expect(e).toMatchObject({
      exitCode: ExitCode.notFound,
      message: `${dir} is not a built repository (no index.json)`,
    });
  });
});
