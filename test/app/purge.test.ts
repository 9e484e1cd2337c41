import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';
import { providerRegistration } from '../helpers/provider-registration.js';

/**
 * `bpkg remove` keeps a module's data (a vector store, documents, the access token) unless the
 * admin asks to purge it (issue 16): data outlives a removal meant as "reinstall later". A purge
 * deletes the module's data folder and never what a link inside it points to: the folder was
 * written by the module's container user, who could have left links to the host's files there.
 */
async function boxWithHello() {
  const work = tempDir('bp-purge-');
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(work, 'src'), { name: 'hello', version: '1.0.0' })]);
  const root = await trustingRoot(key, repo);
  // No engine answers here: whether a provider runs cannot be told (test/rag/purge has real ones).
  const box = openBox(root, {
    yes: true,
    env: { CONTAINER_HOST: `unix://${path.join(work, 'no-engine.sock')}` },
  });
  await box.packages.install(['hello']);
  const data = path.join(root, 'var/lib/blueprint/modules/hello');
  mkdirSync(path.join(data, 'collections'), { recursive: true });
  writeFileSync(path.join(data, 'collections/points.wal'), 'acknowledged points');
  return { box, root, work, data };
}

describe('bpkg remove --purge', () => {
  it('keeps the module data without --purge, and says where it is', async () => {
    const { box, data } = await boxWithHello();
    expect(await box.packages.remove(['hello'])).toMatchObject([{ name: 'hello', dataKept: data }]);
    expect(readFileSync(path.join(data, 'collections/points.wal'), 'utf8')).toBe('acknowledged points');
  });

  it('deletes the data folder with --purge, and reports it', async () => {
    const { box, data } = await boxWithHello();
    const changes = await box.packages.remove(['hello'], { purge: true });
    expect(changes).toMatchObject([{ name: 'hello', from: '1.0.0', purged: data }]);
    expect(existsSync(data)).toBe(false);
  });

  it('removes links the module left in its data, never what they point to', async () => {
    const { box, data, work } = await boxWithHello();
    const precious = path.join(work, 'precious');
    mkdirSync(precious);
    writeFileSync(path.join(precious, 'shadow'), 'host secret');
    symlinkSync(precious, path.join(data, 'escape'));
    symlinkSync(path.join(precious, 'shadow'), path.join(data, 'collections/shadow'));
    await box.packages.remove(['hello'], { purge: true });
    expect(existsSync(data)).toBe(false);
    expect(readFileSync(path.join(precious, 'shadow'), 'utf8')).toBe('host secret');
  });

  it('a data folder replaced by a link is unlinked, its target kept', async () => {
    const { box, data, work, root } = await boxWithHello();
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'keep'), 'x');
    const { rmSync } = await import('node:fs');
    rmSync(data, { recursive: true });
    symlinkSync(elsewhere, data);
    await box.packages.remove(['hello'], { purge: true });
    expect(() => lstatSync(data)).toThrow();
    expect(readFileSync(path.join(elsewhere, 'keep'), 'utf8')).toBe('x');
    expect(existsSync(path.join(root, 'var/lib/blueprint/modules'))).toBe(true);
  });

  it('after a plain remove, remove --purge deletes the kept data, as the remove line says', async () => {
    // 'removed hello 1.0.0; its data kept in ... (bpkg remove --purge hello deletes it)': that
    // command then said 'hello is not installed' (exit 3) and the data stayed (apt purge works on
    // a removed package).
    const { box, data, root } = await boxWithHello();
    await box.packages.remove(['hello']);
    expect(await box.packages.remove(['hello'], { purge: true })).toEqual([{ name: 'hello', purged: data }]);
    expect(existsSync(data)).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/blueprint/modules/.owners/hello.json'))).toBe(false);
    // Nothing kept and not installed: not found, as before; a name that is no package name: refused.
    await expect(box.packages.remove(['hello'], { purge: true })).rejects.toMatchObject({ exitCode: 3 });
    await expect(box.packages.remove(['../hello'], { purge: true })).rejects.toMatchObject({ exitCode: 2 });
  });
});

const provider = providerRegistration;

describe("bpkg remove --purge: the consumer's data in the providers that keep it per consumer", () => {
  it('writes purge.CONSUMER into each opted-in provider, and says what it asked of whom', async () => {
    const { box, root } = await boxWithHello();
    const vec = provider(root, 'vec', { clientTokens: true, consumerPurge: true });
    const llm = provider(root, 'llm', { clientTokens: true }); // holds no consumer data: not asked
    provider(root, 'idle', { clientTokens: true, consumerPurge: true });
    rmSync(path.join(root, 'var/lib/blueprint/modules/idle'), { recursive: true }); // never ran: holds nothing
    const before = Date.now();
    const changes = await box.packages.remove(['hello'], { purge: true });
    expect(changes).toMatchObject([
      { name: 'hello', purgeAsked: [{ provider: 'vec', state: 'not-confirmed' }] },
    ]);
    const [consumer, time] = readFileSync(path.join(vec, 'purge.hello'), 'utf8').split(' ');
    expect(consumer).toBe('hello');
    expect(Number(time)).toBeGreaterThanOrEqual(before);
    expect(statSync(path.join(vec, 'purge.hello')).mode & 0o777).toBe(0o440);
    expect(existsSync(path.join(llm, 'purge.hello'))).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/blueprint/modules/idle'))).toBe(false);
    const { removedLine } = await import('../../src/present/packages.js');
    const lines = removedLine(changes[0]!).split('\n');
    expect(lines[0]).toBe(
      `removed hello 1.0.0; its data deleted (${path.join(root, 'var/lib/blueprint/modules/hello')})`,
    );
    expect(lines.slice(1)).toEqual([
      'asked vec to delete the data hello made there: not confirmed yet; vec deletes it at its next start at the latest (`blueprint service restart vec`)',
    ]);
  });

  it('--dry-run names the providers a purge would ask, and writes nothing', async () => {
    const { box, root } = await boxWithHello();
    const vec = provider(root, 'vec', { clientTokens: true, consumerPurge: true });
    provider(root, 'llm', { clientTokens: true });
    const plan = await box.packages.removalPlan(['hello'], { purge: true });
    expect(plan.changes).toMatchObject([{ name: 'hello', wouldAsk: ['vec'] }]);
    expect((await box.packages.removalPlan(['hello'])).changes[0]).not.toHaveProperty('wouldAsk');
    expect(existsSync(path.join(vec, 'purge.hello'))).toBe(false);
  });

  it("a provider that could not be asked keeps the consumer's own data, so that the same purge asks again", async () => {
    // REVIEW's note: the consumer's folder went whatever the asks gave, so after a failed ask the
    // consumer was neither installed nor kept, and `bpkg remove --purge hello` again refused it.
    const { box, root } = await boxWithHello();
    const vec = provider(root, 'vec', { clientTokens: true, consumerPurge: true });
    // No record can be put there: the provider's data folder is a link (never followed by root).
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(vec, { recursive: true });
    symlinkSync(elsewhere, vec);
    const own = path.join(root, 'var/lib/blueprint/modules/hello');
    const first = await box.packages.remove(['hello'], { purge: true });
    expect(first).toMatchObject([
      { name: 'hello', dataKept: own, purgeAsked: [{ provider: 'vec', state: 'failed' }] },
    ]);
    expect(first[0]).not.toHaveProperty('purged');
    expect(existsSync(own)).toBe(true);
    const { removedLine } = await import('../../src/present/packages.js');
    expect(removedLine(first[0]!)).toContain('run `bpkg remove --purge hello` again to ask again');

    rmSync(vec);
    mkdirSync(vec);
    const again = await box.packages.remove(['hello'], { purge: true });
    expect(again).toMatchObject([{ name: 'hello', purged: own, purgeAsked: [{ provider: 'vec' }] }]);
    expect(again[0]!.purgeAsked![0]!.state).not.toBe('failed');
    expect(existsSync(own)).toBe(false);
    expect(readFileSync(path.join(vec, 'purge.hello'), 'utf8')).toMatch(/^hello \d+\n$/);
  });

  it('a plain remove asks nothing; a purge later does; a link the provider left at the name is replaced, not followed', async () => {
    const { box, root, work } = await boxWithHello();
    const vec = provider(root, 'vec', { clientTokens: true, consumerPurge: true });
    expect((await box.packages.remove(['hello']))[0]).not.toHaveProperty('purgeAsked');
    expect(existsSync(path.join(vec, 'purge.hello'))).toBe(false);
    const target = path.join(work, 'host-file');
    writeFileSync(target, 'host');
    symlinkSync(target, path.join(vec, 'purge.hello'));
    const later = await box.packages.remove(['hello'], { purge: true });
    expect(later).toMatchObject([{ name: 'hello', purgeAsked: [{ provider: 'vec' }] }]);
    expect(lstatSync(path.join(vec, 'purge.hello')).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('host');
  });
});

/**
 * A provider removed with its data kept, as a plain `bpkg remove vec` leaves it (test/rag/purge
 * does that with the real stack): no registration, its data folder, and the record of whom that
 * folder belongs to, which says whether the provider took purges.
 */
function keptProvider(root: string, name: string, consumerPurge: boolean): string {
  const data = provider(root, name, { clientTokens: true, consumerPurge });
  rmSync(path.join(root, 'var/lib/blueprint/services', name), { recursive: true });
  rmSync(path.join(root, 'opt/blueprint', name), { recursive: true });
  const owners = path.join(root, 'var/lib/blueprint/modules/.owners');
  mkdirSync(owners, { recursive: true });
  const record = {
    origin: 'main',
    signer: 'ab'.repeat(20),
    ...(consumerPurge ? { consumerPurge: true } : {}),
  };
  writeFileSync(path.join(owners, `${name}.json`), JSON.stringify(record));
  return data;
}

describe('bpkg remove --purge: a provider removed with its data kept', () => {
  it('its kept data is asked: the record waits there for its next install, and the output says so', async () => {
    // Before: a plain `bpkg remove vec` took its registration, so a later purge of hello asked
    // nothing of it, and vec installed again still held what hello made.
    const { box, root } = await boxWithHello();
    const vec = keptProvider(root, 'vec', true);
    const llm = keptProvider(root, 'llm', false); // never took purges: not asked
    const plan = await box.packages.removalPlan(['hello'], { purge: true });
    expect(plan.changes).toMatchObject([{ name: 'hello', wouldAsk: ['vec'], wouldAskKept: ['vec'] }]);
    const { wouldAskLines } = await import('../../src/present/packages.js');
    expect(wouldAskLines('hello', plan.changes[0]!.wouldAsk, plan.changes[0]!.wouldAskKept)).toEqual([
      '  would ask vec to delete the data hello made there (vec is not installed: in the data it kept, applied when it is installed again)',
    ]);
    expect(existsSync(path.join(vec, 'purge.hello'))).toBe(false);

    const before = Date.now();
    const changes = await box.packages.remove(['hello'], { purge: true });
    expect(changes).toMatchObject([
      {
        name: 'hello',
        purged: path.join(root, 'var/lib/blueprint/modules/hello'),
        purgeAsked: [{ provider: 'vec', state: 'kept' }],
      },
    ]);
    const [consumer, time] = readFileSync(path.join(vec, 'purge.hello'), 'utf8').split(' ');
    expect(consumer).toBe('hello');
    expect(Number(time)).toBeGreaterThanOrEqual(before);
    expect(statSync(path.join(vec, 'purge.hello')).mode & 0o777).toBe(0o440);
    expect(existsSync(path.join(llm, 'purge.hello'))).toBe(false);
    const { removedLine } = await import('../../src/present/packages.js');
    expect(removedLine(changes[0]!).split('\n').slice(1)).toEqual([
      'asked vec to delete the data hello made there: vec is not installed; it deletes it from the data it kept when it is installed again, at its first start, before it serves (`bpkg remove --purge vec` deletes all it kept now)',
    ]);
  });

  it('no link in the kept folder is followed: one at the record is replaced, a folder that is a link is not asked through', async () => {
    const { box, root, work } = await boxWithHello();
    const vec = keptProvider(root, 'vec', true);
    const target = path.join(work, 'host-file');
    writeFileSync(target, 'host');
    symlinkSync(target, path.join(vec, 'purge.hello'));
    const other = keptProvider(root, 'other', true);
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(other, { recursive: true });
    symlinkSync(elsewhere, other);
    const own = path.join(root, 'var/lib/blueprint/modules/hello');
    const changes = await box.packages.remove(['hello'], { purge: true });
    expect(changes).toMatchObject([{ name: 'hello', dataKept: own }]);
    const asked = Object.fromEntries(changes[0]!.purgeAsked!.map((a) => [a.provider, a.state]));
    expect(asked).toEqual({ other: 'failed', vec: 'kept' });
    expect(lstatSync(path.join(vec, 'purge.hello')).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('host');
    expect(existsSync(path.join(elsewhere, 'purge.hello'))).toBe(false);
  });
});
