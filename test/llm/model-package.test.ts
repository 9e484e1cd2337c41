import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeModelPackageSource } from '../../modules/llm/model-package.js';
import { trustRepository } from '../helpers/module-e2e.js';
import { bpkg, makeKey, run, tempDir } from '../helpers/pkg.js';
import { FIXTURE_MODELS, Q8 } from './helpers.js';

// A model as a signed package of its own: model-NAME with the GGUF, the chat template and every
// file's SHA-256 in the manifest, built and installed with the real tools.
const work = tempDir('bp-llm-model-');

/** `repo build` of the source `dir` into a repository signed by a new key; a box that trusts it, updated. */
async function publishedTo(dir: string, tag: string): Promise<string> {
  const key = await makeKey(join(work, `key${tag}`));
  const repo = join(work, `repo${tag}`);
  const built = await run(['repo', 'build', dir, '--repo', repo, '--key', key.privateFile]);
  expect(built.code, built.stderr).toBe(0);
  const root = join(work, `root${tag}`);
  await trustRepository((args) => bpkg(root, args), key, repo);
  return root;
}

describe('model-NAME packages', () => {
  it('carries the GGUF and its chat template, hashed, and installs verified', async () => {
    const { dir, manifest } = await makeModelPackageSource({
      model: join(FIXTURE_MODELS, 'tiny-llama-q8'),
      out: join(work, 'src'),
      name: 'tiny-llama-q8',
      license: 'MIT (random test weights)',
    });
    expect(manifest).toMatchObject({
      name: 'model-tiny-llama-q8',
      arch: 'all',
      license: 'MIT (random test weights)',
    });
    expect(Object.keys(manifest.files as object)).toEqual([
      'models/tiny-llama-q8/chat_template.jinja',
      'models/tiny-llama-q8/tiny-llama-q8_0.gguf',
    ]);
    // The template written out is the one inside the GGUF.
    expect(readFileSync(join(dir, 'payload/models/tiny-llama-q8/chat_template.jinja'), 'utf8')).toContain(
      "'<|assistant|>\\n'",
    );
    const root = await publishedTo(dir, '');
    const r = await bpkg(root, ['install', 'model-tiny-llama-q8']);
    expect(r.code, r.stderr).toBe(0);
    const installed = join(
      root,
      'opt/blueprint/model-tiny-llama-q8/1.0.0/models/tiny-llama-q8/tiny-llama-q8_0.gguf',
    );
    expect(readFileSync(installed).equals(readFileSync(Q8))).toBe(true);
  }, 120_000);

  it('a payload file that does not match its manifest hash is refused at install, named', async () => {
    const { dir } = await makeModelPackageSource({
      model: join(FIXTURE_MODELS, 'tiny-llama-q8'),
      out: join(work, 'bad'),
      name: 'tiny-llama-bad',
    });
    const gguf = join(dir, 'payload/models/tiny-llama-bad/tiny-llama-q8_0.gguf');
    const b = readFileSync(gguf);
    b.writeUInt8(b.readUInt8(b.length - 1) ^ 1, b.length - 1);
    writeFileSync(gguf, b);
    const root = await publishedTo(dir, '2');
    const r = await bpkg(root, ['install', 'model-tiny-llama-bad']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tiny-llama-q8_0\.gguf does not match its SHA-256/);
    expect(existsSync(join(root, 'opt/blueprint/model-tiny-llama-bad'))).toBe(false);
  }, 60_000);
});
