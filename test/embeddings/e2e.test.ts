import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/embeddings/package.js';
import { bpkg, makeKey, run, tempDir } from '../helpers/pkg.js';
import { call, cosine, FIXTURE_MODELS, maxAbsDiff, type Reference } from './helpers.js';

// The whole path a user takes, on the real engine: build and sign a repository holding the module
// (image + tiny BERT), install it with bpkg, start it, embed through its unix socket, stop, remove.
const ref = JSON.parse(readFileSync(join(FIXTURE_MODELS, 'tiny-bert.reference.json'), 'utf8')) as Reference;
const name = `embeddings-e2e-${process.pid}`;
const work = tempDir('bp-emb-e2e-');
const root = join(work, 'root');
const socket = join(root, 'run/blueprint/services', name, 'api.sock');
const installed = join(root, 'opt/blueprint', name, '0.1.0');
const podman = async (...args: string[]) => (await promisify(execFile)('podman', args)).stdout.trim();
const blueprint = async (...args: string[]) => {
  const r = await run(['--root', root, '--json', ...args]);
  if (r.code !== 0) throw new Error(`blueprint ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout || '{}') as Record<string, unknown>;
};
let imageId = '';

beforeAll(async () => {
  const key = await makeKey(join(work, 'key'));
  const { dir } = await makePackageSource({
    model: join(FIXTURE_MODELS, 'tiny-bert'),
    out: join(work, 'src'),
    name,
  });
  const repo = join(work, 'repo');
  const built = await run(['repo', 'build', dir, '--repo', repo, '--key', key.privateFile]);
  expect(built.code, built.stderr).toBe(0);
  for (const args of [
    ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint],
    ['repo', 'add', 'main', repo],
    ['update'],
    ['install', name],
  ]) {
    const r = await bpkg(root, args);
    expect(r.code, `bpkg ${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  await bpkg(root, ['remove', name]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('embeddings module end to end (signed repository, Podman sandbox)', () => {
  it('starts healthy and serves the torch-parity vectors through the socket', async () => {
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const info = await call(socket, 'GET', '/info');
    expect(info.body).toMatchObject({ model: 'tiny-bert', dimension: 32, max_tokens: 64, device: 'cpu' });
    const r = await call(socket, 'POST', '/v1/embeddings', {
      model: 'tiny-bert',
      input: ref.cases.map((c) => c.text),
    });
    expect(r.status).toBe(200);
    const data = (r.body as { data: { embedding: number[] }[] }).data;
    ref.cases.forEach((c, i) => {
      expect(maxAbsDiff(data[i]!.embedding, c.embedding), c.text).toBeLessThan(1e-5);
    });
    const tei = await call(socket, 'POST', '/embed', { inputs: [ref.cases[0]!.text] });
    expect(cosine((tei.body as number[][])[0]!, ref.cases[0]!.embedding)).toBeGreaterThan(0.99999);
    expect((await call(socket, 'POST', '/embed', { inputs: 7 })).status).toBe(422);
    expect((await call(socket, 'GET', '/health')).status).toBe(200);
    const logs = JSON.stringify(await blueprint('service', 'logs', name));
    expect(logs).toContain('verified 4 model files against the signed manifest');
    expect(logs).toContain('2 inference threads'); // the manifest's 2 CPUs, not every host core
  });

  it('runs sandboxed: read-only root, no capabilities, no network', async () => {
    const container = `blueprint-${name}`;
    const inspect = JSON.parse(await podman('inspect', container))[0];
    imageId = inspect.Image;
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    const status = readFileSync(`/proc/${inspect.State.Pid}/status`, 'utf8');
    expect(status).toMatch(/CapEff:\s+0000000000000000/);
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(inspect.Config.User).toBe('1000:1000'); // not even root inside its user namespace
  });

  it('requires the access token once the admin sets one', async () => {
    const token = 'e2e-token-0123456789abcdef';
    writeFileSync(join(root, 'var/lib/blueprint/modules', name, 'access-token'), `${token}\n`);
    await blueprint('service', 'restart', name);
    expect((await call(socket, 'POST', '/v1/embeddings', { input: 'a' })).status).toBe(401);
    const ok = await call(
      socket,
      'POST',
      '/v1/embeddings',
      { input: 'a' },
      { authorization: `Bearer ${token}` },
    );
    expect(ok.status).toBe(200);
    rmSync(join(root, 'var/lib/blueprint/modules', name, 'access-token'));
  });

  it('refuses to start when a model file no longer matches the signed manifest', async () => {
    await blueprint('service', 'stop', name);
    const tokenizer = join(installed, 'models/tiny-bert/tokenizer_config.json');
    const original = readFileSync(tokenizer);
    writeFileSync(tokenizer, original.toString().replace('"model_max_length": 64', '"model_max_length": 63'));
    try {
      const r = await run(['--root', root, '--json', 'service', 'start', name]);
      expect(r.code).not.toBe(0);
      const logs = await run(['--root', root, '--json', 'service', 'logs', name]);
      expect(logs.stdout).toMatch(/tokenizer_config\.json: sha256 [0-9a-f]{64} but the manifest says/);
    } finally {
      writeFileSync(tokenizer, original);
    }
    await blueprint('service', 'stop', name).catch(() => undefined);
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
  });

  it('stops cleanly and leaves nothing behind when removed', async () => {
    await blueprint('service', 'stop', name);
    expect(existsSync(socket)).toBe(false); // the service removed its socket on SIGTERM
    const r = await bpkg(root, ['remove', name]);
    expect(r.code, r.stderr).toBe(0);
    expect(await podman('ps', '-a', '--filter', `name=blueprint-${name}`, '--format', '{{.Names}}')).toBe('');
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
    expect(existsSync(installed)).toBe(false);
    expect(existsSync(socket)).toBe(false);
  });
});
