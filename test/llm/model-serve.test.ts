import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeModelPackageSource } from '../../modules/llm/model-package.js';
import { makePackageSource } from '../../modules/llm/package.js';
import { trustRepository } from '../helpers/module-e2e.js';
import { bpkg, makeKey, run, tempDir } from '../helpers/pkg.js';
import { F32, FIXTURE_MODELS, ollamaOnSocket, openAiOnSocket, Q8 } from './helpers.js';

// Models as packages, on the real engine: an llm package with no model of its own serves the
// model-NAME packages installed beside it. Each one's models/NAME/ is mounted read-only, its signed
// `files` (from the package database) reach the service, which re-hashes them at every start.
const name = `llm-serve-${process.pid}`;
const work = tempDir('bp-llm-serve-');
const root = join(work, 'root');
const socket = join(root, 'run/blueprint/services', name, 'api.sock');
const f32Installed = join(root, 'opt/blueprint/model-tiny-llama/1.0.0/models/tiny-llama');
const podman = async (...args: string[]) => (await promisify(execFile)('podman', args)).stdout.trim();
let imageId = '';
const cli = (...args: string[]) => run(['--root', root, '--json', ...args]);
const blueprint = async (...args: string[]) => {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`blueprint ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout || '{}') as Record<string, unknown>;
};
const install = async (...pkgs: string[]) => {
  const r = await bpkg(root, ['install', ...pkgs]);
  expect(r.code, `bpkg install ${pkgs.join(' ')}: ${r.stderr}`).toBe(0);
};
const client = () => openAiOnSocket(socket);
const info = async () => (await client().get('/../info')) as Record<string, unknown>;
const modelIds = async () => (await client().models.list()).data.map((m) => m.id);
/** Health over the socket until it answers (a restart made by `bpkg remove` does not wait). */
async function healthy(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await blueprint('service', 'status', name).catch(() => undefined);
    const row = (Array.isArray(status) ? status[0] : status) as { health?: string } | undefined;
    if (row?.health === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`${name} not healthy: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const key = await makeKey(join(work, 'key'));
  const llm = await makePackageSource({ out: join(work, 'src-llm'), name, context: 256, memory: '512m' });
  expect(llm.manifest.files).toBeUndefined(); // no model inside
  const f32 = await makeModelPackageSource({
    model: join(FIXTURE_MODELS, 'tiny-llama'),
    out: join(work, 'src-f32'),
    license: 'MIT (random test weights)',
  });
  const q8 = await makeModelPackageSource({
    model: join(FIXTURE_MODELS, 'tiny-llama-q8'),
    out: join(work, 'src-q8'),
    license: 'MIT (random test weights)',
  });
  const repo = join(work, 'repo');
  const built = await run([
    'repo',
    'build',
    llm.dir,
    f32.dir,
    q8.dir,
    '--repo',
    repo,
    '--key',
    key.privateFile,
  ]);
  expect(built.code, built.stderr).toBe(0);
  await trustRepository((args) => bpkg(root, args), key, repo);
  await install(name);
}, 300_000);

afterAll(async () => {
  // One at a time: a remove naming a package no longer installed removes nothing.
  for (const pkg of [name, 'model-tiny-llama', 'model-tiny-llama-q8'])
    await bpkg(root, ['remove', pkg]).catch(() => undefined);
  await podman('rm', '-f', `blueprint-${name}`).catch(() => undefined);
  if (imageId) await podman('rmi', '-f', imageId).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('llm serves the model-NAME packages installed (real Podman)', () => {
  it('with no model package installed, start is refused with what to install', async () => {
    const r = await cli('service', 'start', name);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no package matching model-\*/);
    expect(r.stderr).toContain(`bpkg --root ${root} install model-`);
  });

  it('serves model-tiny-llama: healthy, listed, answers the openai client, mounted read-only', async () => {
    await install('model-tiny-llama');
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    expect(await modelIds()).toEqual(['tiny-llama']);
    expect(await info()).toMatchObject({ model: 'tiny-llama', quantisation: 'F32', contextLength: 256 });
    const r = await client().chat.completions.create({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Hello there' }],
      temperature: 0,
      max_tokens: 4,
    });
    expect(r.model).toBe('tiny-llama');
    expect(r.usage?.completion_tokens).toBe(4);
    const logs = JSON.stringify(await blueprint('service', 'logs', name));
    expect(logs).toContain('verified 2 model files of tiny-llama against its signed package');

    // The security rating counts the package's folder as declared (no foreign mount).
    const rated = JSON.stringify(await blueprint('service', 'status', name));
    expect(rated).toContain('package-mount');
    expect(rated).not.toContain('foreign-mount');

    const inspect = JSON.parse(await podman('inspect', `blueprint-${name}`))[0];
    imageId = inspect.Image;
    const mount = inspect.Mounts.find((m: { Destination: string }) => m.Destination === '/models/tiny-llama');
    expect(mount).toMatchObject({ RW: false });
    expect(mount.Source).toBe(f32Installed);
    const env = Object.fromEntries(
      (inspect.Config.Env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
    // The signed files map, as the package database recorded it at install.
    const list = JSON.parse(
      readFileSync(join(root, 'var/lib/blueprint/pkg/files/model-tiny-llama_1.0.0.json'), 'utf8'),
    );
    const pkgs = JSON.parse(env.BLUEPRINT_PACKAGES!);
    expect(pkgs).toEqual([
      {
        name: 'model-tiny-llama',
        version: '1.0.0',
        folder: 'tiny-llama',
        path: '/models/tiny-llama',
        files: list.manifest.files,
      },
    ]);
  });

  it('refuses at start a model package file changed after install, naming it', async () => {
    await blueprint('service', 'stop', name);
    const gguf = join(f32Installed, 'tiny-llama-f32.gguf');
    const original = readFileSync(gguf);
    const changed = Buffer.from(original);
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);
    writeFileSync(gguf, changed);
    try {
      const r = await cli('service', 'start', name);
      expect(r.code).not.toBe(0);
      const logs = await cli('service', 'logs', name);
      expect(logs.stdout).toMatch(
        /models\/tiny-llama\/tiny-llama-f32\.gguf: sha256 [0-9a-f]{64} but the manifest says/,
      );
    } finally {
      writeFileSync(gguf, original);
    }
    await blueprint('service', 'stop', name).catch(() => undefined);
  });

  it('serves two model packages: both listed, `model` selects, an unknown one is 404', async () => {
    await install('model-tiny-llama-q8');
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    // The default when nothing is configured: the first by name.
    expect(await modelIds()).toEqual(['tiny-llama', 'tiny-llama-q8']);
    const models = (await info()).models as { id: string; quantisation: string }[];
    expect(models.map((m) => [m.id, m.quantisation])).toEqual([
      ['tiny-llama', 'F32'],
      ['tiny-llama-q8', 'Q8_0'],
    ]);
    const ask = (model?: string) =>
      client().completions.create({
        ...(model ? { model } : {}),
        prompt: 'The',
        max_tokens: 2,
        temperature: 0,
      } as OpenAI.CompletionCreateParamsNonStreaming);
    expect((await ask('tiny-llama-q8')).model).toBe('tiny-llama-q8');
    expect((await ask('tiny-llama')).model).toBe('tiny-llama');
    expect((await ask()).model).toBe('tiny-llama');
    await expect(ask('gpt-4')).rejects.toMatchObject({ status: 404 });
    // Ollama's list of the same: each package's GGUF by the SHA-256 its signed manifest gives.
    const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    const tags = await ollamaOnSocket(socket).list();
    expect(tags.models.map((m) => [m.name, m.digest, m.details.quantization_level])).toEqual([
      ['tiny-llama:latest', sha(F32), 'F32'],
      ['tiny-llama-q8:latest', sha(Q8), 'Q8_0'],
    ]);
  });

  it('serves by default the model named in the data folder (default-model), after a restart', async () => {
    writeFileSync(join(root, 'var/lib/blueprint/modules', name, 'default-model'), 'tiny-llama-q8\n');
    await blueprint('service', 'restart', name);
    await healthy();
    expect(await modelIds()).toEqual(['tiny-llama-q8', 'tiny-llama']);
    expect((await info()).model).toBe('tiny-llama-q8');
    const r = await client().chat.completions.create({
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 2,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(r.model).toBe('tiny-llama-q8');
  });

  it('removing a model package the running service uses restarts it without that model', async () => {
    const r = await bpkg(root, ['remove', 'model-tiny-llama-q8']);
    expect(r.code, r.stderr).toBe(0);
    // Back and healthy when the removal returns, as `service restart` is: a script's next request
    // (`bpkg remove model-x && curl …`) is answered at once, not refused while the service starts.
    // The configured default is gone: the service says so in its log and serves the first.
    expect(await modelIds()).toEqual(['tiny-llama']);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      new RegExp(`${name}: restarted without model-tiny-llama-q8 1\\.0\\.0, healthy after \\d+ ms`),
    );
    const inspect = JSON.parse(await podman('inspect', `blueprint-${name}`))[0];
    expect(inspect.Mounts.map((m: { Destination: string }) => m.Destination)).not.toContain(
      '/models/tiny-llama-q8',
    );
  });

  it('removing the last model package stops the service, and start says what to install', async () => {
    const r = await bpkg(root, ['remove', 'model-tiny-llama']);
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`${name}: stopped`));
    const state = JSON.parse(await podman('inspect', `blueprint-${name}`))[0].State;
    expect(state.Running).toBe(false);
    const again = await cli('service', 'start', name);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`bpkg --root ${root} install model-`);
  });
});
