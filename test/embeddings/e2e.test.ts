import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestVersion } from '../../scripts/catalog/fingerprint.js';
import {
  expectChangedFileRefused,
  expectRemovedWithoutTrace,
  moduleE2E,
  podman,
} from '../helpers/module-e2e.js';
import { tinyBertModule } from '../helpers/tiny-bert-module.js';
import { cosine, maxAbsDiff, tinyBertReference } from './helpers.js';

// The whole path a user takes, on the real engine: build and sign a repository holding the module
// (image + tiny BERT), install it with bpkg, start it, embed through its unix socket, stop, remove.
const ref = tinyBertReference();
const name = `embeddings-e2e-${process.pid}`;
const e = moduleE2E({
  prefix: 'bp-emb-e2e-',
  install: [name],
  sources: tinyBertModule(name),
});
const socket = e.socket(name);
const installed = e.installed(name, manifestVersion('embeddings')); // the recipe's version: the manifest's
const blueprint = e.blueprint;
const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  e.call(name, method, path, body, headers);
let imageId = '';

describe('embeddings module end to end (signed repository, Podman sandbox)', () => {
  it('starts healthy and serves the torch-parity vectors through the socket', async () => {
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const info = await call('GET', '/info');
    expect(info.body).toMatchObject({ model: 'tiny-bert', dimension: 32, max_tokens: 64, device: 'cpu' });
    const r = await call('POST', '/v1/embeddings', {
      model: 'tiny-bert',
      input: ref.cases.map((c) => c.text),
    });
    expect(r.status).toBe(200);
    const data = (r.body as { data: { embedding: number[] }[] }).data;
    ref.cases.forEach((c, i) => {
      expect(maxAbsDiff(data[i]!.embedding, c.embedding), c.text).toBeLessThan(1e-5);
    });
    const tei = await call('POST', '/embed', { inputs: [ref.cases[0]!.text] });
    expect(cosine((tei.body as number[][])[0]!, ref.cases[0]!.embedding)).toBeGreaterThan(0.99999);
    expect((await call('POST', '/embed', { inputs: 7 })).status).toBe(422);
    expect((await call('GET', '/health')).status).toBe(200);
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
    writeFileSync(join(e.data(name), 'access-token'), `${token}\n`);
    await blueprint('service', 'restart', name);
    expect((await call('POST', '/v1/embeddings', { input: 'a' })).status).toBe(401);
    const ok = await call('POST', '/v1/embeddings', { input: 'a' }, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    rmSync(join(e.data(name), 'access-token'));
  });

  it('refuses to start when a model file no longer matches the signed manifest', async () => {
    await expectChangedFileRefused(
      e,
      name,
      join(installed, 'models/tiny-bert/tokenizer_config.json'),
      (original) => original.toString().replace('"model_max_length": 64', '"model_max_length": 63'),
      /tokenizer_config\.json: sha256 [0-9a-f]{64} but the manifest says/,
    );
  });

  it('stops cleanly and leaves nothing behind when removed', async () => {
    await expectRemovedWithoutTrace(e, name, { imageId, installed });
    expect(existsSync(socket)).toBe(false);
  });
});
