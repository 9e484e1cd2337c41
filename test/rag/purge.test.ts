import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus } from '../fixtures/rag/corpus.js';
import { bpkg } from '../helpers/pkg.js';
import { ragStackE2E } from '../helpers/rag-stack-e2e.js';

// `bpkg remove --purge RAG` deletes the documents' text held in vectors too (issue 17): rag's
// collections there, made with its own token, are dropped by vectors when blueprint's record asks
// (docs/module-wiring.md, "A consumer's data, purged"). On the real engine with the real stack, as
// test/rag/e2e does it: a plain remove keeps them; a purge while vectors runs deletes them at once;
// a purge while vectors is stopped leaves a record that vectors applies at its start, before it
// answers. A collection the admin made stays throughout.
const { names, e } = ragStackE2E('bp-rag-purge-', `purge-${process.pid}`);
const collections = async () => {
  const r = await e.call(names.vectors, 'GET', '/collections');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return ((r.body as { result: { collections: { name: string }[] } }).result.collections ?? [])
    .map((c) => c.name)
    .sort();
};
const ragCollections = async () => (await collections()).filter((n) => n !== 'admin-notes');
async function ingestOne() {
  expect(await e.blueprint('service', 'start', names.rag)).toMatchObject({ healthy: true });
  const dir = join(e.work, `docs-${Date.now()}`);
  await mkdir(dir);
  const doc = (await corpus())[0]!;
  writeFileSync(join(dir, doc.source), doc.bytes);
  const r = await e.run(['rag', 'ingest', dir, '--service', names.rag]);
  expect(r.code, r.stderr).toBe(0);
  const held = await ragCollections();
  expect(held.length).toBeGreaterThan(0);
  const count = await e.call(names.vectors, 'POST', `/collections/${held[0]}/points/count`, { exact: true });
  expect((count.body as { result: { count: number } }).result.count).toBeGreaterThan(0);
}

describe("bpkg remove --purge rag: rag's chunks in vectors go too", () => {
  it('a plain remove keeps them; a purge while vectors runs deletes them now; the admin collection stays', async () => {
    await ingestOne();
    const admin = await e.call(names.vectors, 'PUT', '/collections/admin-notes', {
      vectors: { size: 2, distance: 'Cosine' },
    });
    expect(admin.status, JSON.stringify(admin.body)).toBe(200);
    const held = await ragCollections();
    const plain = await e.bpkg(['--yes', 'remove', names.rag]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/asked/);
    expect(await ragCollections()).toEqual(held);
    // Removed before: the purge deletes its kept folder and asks vectors (running) for the rest.
    const purge = await e.bpkg(['--yes', 'remove', '--purge', names.rag]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(`asked ${names.vectors} to delete the data ${names.rag} made there: done`);
    expect(purge.stdout).not.toMatch(new RegExp(`asked (${names.embeddings}|${names.llm})`));
    expect(await collections()).toEqual(['admin-notes']);
  }, 600_000);

  it('a purge while vectors is stopped: gone before vectors answers its first request', async () => {
    const install = await e.bpkg(['--yes', 'install', names.rag]);
    expect(install.code, install.stderr).toBe(0);
    await ingestOne(); // rag installed again after a purge keeps what it makes now
    await e.blueprint('service', 'stop', names.rag, names.vectors);
    const dry = await e.bpkg(['remove', '--dry-run', '--purge', names.rag]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`  would ask ${names.vectors} to delete the data ${names.rag} made there`);
    expect(existsSync(join(e.data(names.vectors), `purge.${names.rag}`))).toBe(false);
    const purge = await e.bpkg(['--yes', 'remove', '--purge', names.rag]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(
      `asked ${names.vectors} to delete the data ${names.rag} made there: ${names.vectors} is not running; it deletes it at its next start, before it serves`,
    );
    expect(existsSync(join(e.data(names.vectors), `purge.${names.rag}`))).toBe(true);
    expect(await e.blueprint('service', 'start', names.vectors)).toMatchObject({ healthy: true });
    expect(await collections()).toEqual(['admin-notes']);
    expect(existsSync(join(e.data(names.vectors), `purge.${names.rag}`))).toBe(false);
  }, 600_000);

  it('a removal of vectors finished by recovery (killed after its commit): its kept data is asked too', async () => {
    // Before: only `bpkg remove`'s own end recorded that vectors takes purges; killed after the
    // commit, the next command finished the removal and recorded nothing, so the purge asked nothing.
    // (First of the removals of vectors here: no earlier one recorded it.)
    const install = await e.bpkg(['--yes', 'install', names.rag]);
    expect(install.code, install.stderr).toBe(0);
    await ingestOne();
    await e.blueprint('service', 'stop', names.rag, names.vectors);
    const killed = await bpkg(e.root, ['--yes', 'remove', names.rag, names.vectors], {
      PATH: process.env.PATH,
      BLUEPRINT_FAULT_INJECT: 'committed',
    });
    expect(killed.code).toBe(137);
    const purge = await e.bpkg(['--yes', 'remove', '--purge', names.rag]); // finishes the removal first
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(
      `asked ${names.vectors} to delete the data ${names.rag} made there: ${names.vectors} is not installed;`,
    );
    const again = await e.bpkg(['--yes', 'install', names.rag]);
    expect(again.code, again.stderr).toBe(0);
    expect(await e.blueprint('service', 'start', names.vectors)).toMatchObject({ healthy: true });
    expect(await collections()).toEqual(['admin-notes']);
  }, 600_000);

  it('a purge while vectors is removed with its data kept: that data is asked, and vectors applies it when installed again', async () => {
    // Before: a plain `bpkg remove` of vectors took its registration, so the purge asked nothing
    // of it, and vectors installed again served rag's old chunks from its kept data.
    const install = await e.bpkg(['--yes', 'install', names.rag]);
    expect(install.code, install.stderr).toBe(0);
    await ingestOne();
    const plain = await e.bpkg(['--yes', 'remove', names.rag, names.vectors]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`its data kept in ${e.data(names.vectors)}`);
    const dry = await e.bpkg(['--json', 'remove', '--dry-run', '--purge', names.rag]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).changes).toMatchObject([
      { name: names.rag, wouldAsk: [names.vectors], wouldAskKept: [names.vectors] },
    ]);
    const purge = await e.bpkg(['--yes', 'remove', '--purge', names.rag]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(
      `asked ${names.vectors} to delete the data ${names.rag} made there: ${names.vectors} is not installed; it deletes it from the data it kept when it is installed again, at its first start, before it serves`,
    );
    expect(existsSync(join(e.data(names.vectors), `purge.${names.rag}`))).toBe(true);
    // Installed again (rag's own install brings it back, as what rag uses): rag's chunks are gone
    // before it answers; the admin's collection, kept with the data, stays.
    const again = await e.bpkg(['--yes', 'install', names.rag]);
    expect(again.code, again.stderr).toBe(0);
    expect(await e.blueprint('service', 'start', names.vectors)).toMatchObject({ healthy: true });
    expect(await collections()).toEqual(['admin-notes']);
    expect(existsSync(join(e.data(names.vectors), `purge.${names.rag}`))).toBe(false);
  }, 600_000);
});
