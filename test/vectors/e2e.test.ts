import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/vectors/package.js';
import { moduleE2E, podman } from '../helpers/module-e2e.js';
import { until } from '../helpers/until.js';
import { bridge } from './served.js';

// The whole path a user takes, on the real engine: build and sign a repository holding the module
// (FROM-scratch image with the hnswlib addon), install it with bpkg, start it, use it through the
// Qdrant client on its unix socket, kill -9 the container during writes, restart, remove.
const name = `vectors-e2e-${process.pid}`;
const e = moduleE2E({
  prefix: 'bp-vec-e2e-',
  install: [name],
  sources: async (work) => [(await makePackageSource({ out: join(work, 'src'), name })).dir],
});
const socket = e.socket(name);
const data = e.data(name);
const container = `blueprint-${name}`;
const blueprint = e.blueprint;
async function connect(headers?: Record<string, string>) {
  const b = await bridge(socket);
  return { b, client: new QdrantClient({ url: b.url, checkCompatibility: false, headers }) };
}

describe('vectors module end to end (signed repository, Podman sandbox)', () => {
  it('starts healthy, serves the Qdrant client, and keeps every acknowledged point through kill -9', async () => {
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    let { b, client } = await connect();
    await client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } });
    await client.upsert('docs', {
      points: [
        { id: 1, vector: [1, 0, 0, 0], payload: { lang: 'en' } },
        { id: 2, vector: [0, 1, 0, 0], payload: { lang: 'de' } },
      ],
    });
    const hit = await client.query('docs', {
      query: [0.9, 0.1, 0, 0],
      limit: 1,
      with_payload: true,
      filter: { must: [{ key: 'lang', match: { value: 'en' } }] },
    });
    expect(hit.points[0]).toMatchObject({ id: 1, payload: { lang: 'en' } });
    // A text index's Snowball stemmer, stop words and folding, in the image's bundle as in
    // text-index-params.test.ts: "were" is an English stop word, "running" stems to "run".
    await client.upsert('docs', {
      wait: true,
      points: [{ id: 3, vector: [0, 0, 1, 0], payload: { body: 'Cafés were running late' } }],
    });
    await client.createPayloadIndex('docs', {
      field_name: 'body',
      field_schema: {
        type: 'text',
        stemmer: { type: 'snowball', language: 'english' },
        stopwords: 'english',
        ascii_folding: true,
        phrase_matching: true,
      },
      wait: true,
    });
    const said = await client.scroll('docs', {
      filter: { must: [{ key: 'body', match: { phrase: 'café run' } }] },
    });
    expect(said.points.map((p) => p.id)).toEqual([3]);
    // A stream of writes, then kill -9 of the container while they run.
    const acked: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const id = 1000 + w * 100_000 + i;
        try {
          await client.upsert('docs', { points: [{ id, vector: [w, i, 1, 1], payload: { w, i } }] });
          acked.push(id);
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    // Writes acked before the kill (before: a 1.5 s sleep, in which a loaded machine may ack fewer).
    await until('21 writes acked', () => acked.length > 20, 60_000);
    await podman('kill', '-s', 'KILL', container);
    stop = true;
    await Promise.all(writers);
    await b.close();
    expect(acked.length).toBeGreaterThan(20);
    await blueprint('service', 'stop', name).catch(() => undefined);
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    ({ b, client } = await connect());
    const got = await client.retrieve('docs', { ids: acked });
    expect(got.map((p) => p.id).sort()).toEqual([...acked].sort());
    await b.close();
  }, 120_000);

  it('runs sandboxed: read-only root, no capabilities, no network, its data in the module folder', async () => {
    const inspect = JSON.parse(await podman('inspect', container))[0];
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    expect(inspect.Config.User).toBe('1000:1000');
    expect(existsSync(join(data, 'db/wal'))).toBe(true);
  });

  it('requires the access token once the admin sets one (api-key header or bearer)', async () => {
    const token = 'e2e-token-0123456789abcdef';
    writeFileSync(join(data, 'access-token'), `${token}\n`);
    await blueprint('service', 'restart', name);
    let { b, client } = await connect();
    await expect(client.getCollections()).rejects.toMatchObject({ status: 401 });
    await b.close();
    ({ b, client } = await connect({ 'api-key': token }));
    expect((await client.getCollections()).collections.map((c) => c.name)).toEqual(['docs']);
    await b.close();
    rmSync(join(data, 'access-token'));
  });

  it('an upgrade of the module keeps the database', async () => {
    // One patch release past the version the module ships (its manifest's), installed above.
    const from = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../modules/vectors/manifest.json'), 'utf8'),
    ).version;
    const to = from.replace(/\d+$/, (p: string) => String(Number(p) + 1));
    const { dir } = await makePackageSource({ out: join(e.work, 'src2'), name, version: to });
    await e.publish(dir);
    const up = await e.bpkg(['--json', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).changes).toMatchObject([{ name, from, to }]);
    await blueprint('service', 'stop', name).catch(() => undefined);
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const { b, client } = await connect();
    expect((await client.count('docs')).count).toBeGreaterThan(20);
    expect((await client.retrieve('docs', { ids: [1] }))[0]!.payload).toEqual({ lang: 'en' });
    await b.close();
  }, 300_000);

  it('stops cleanly; bpkg remove keeps the database', async () => {
    await blueprint('service', 'stop', name);
    expect(existsSync(socket)).toBe(false);
    const r = await e.bpkg(['remove', name]);
    expect(r.code, r.stderr).toBe(0);
    expect((await podman('ps', '-a', '--filter', `name=${container}`, '--format', '{{.Names}}')).trim()).toBe(
      '',
    );
    expect(existsSync(join(data, 'db/checkpoint/manifest.json'))).toBe(true);
  });
});
