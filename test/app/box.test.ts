import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Box, DeclinedError, openBox, type Question } from '../../src/app/index.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * src/app's contract (issue 13, part 1): one way of confirming, and an install carries out the
 * plan it asked about. Each of these failed before openBox existed (there was no confirm, and
 * `bpkg install` on a terminal planned, asked, then planned again under the lock).
 */
async function publishedRoot(versions: string[]) {
  const work = tempDir('bp-app-');
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  await buildRepo(
    repo,
    key,
    versions.map((v) =>
      makeSource(path.join(work, `src-${v}`), { name: 'hello', version: v, summary: 'hi' }),
    ),
  );
  return { root: await trustingRoot(key, repo), key, repo, work };
}

const installed = (box: Box) => box.packages.list().then((l) => l.map((p) => `${p.name}@${p.version}`));

describe('openBox: packages', () => {
  it('asks once, with the plan, under the package lock, and carries out that plan', async () => {
    const { root } = await publishedRoot(['1.0.0']);
    const asked: Question[] = [];
    let lockedWhileAsked: unknown;
    const box = openBox(root, {
      confirm: async (q) => {
        asked.push(q);
        // Under the lock: another install cannot slip in between the plan shown and its execution.
        lockedWhileAsked = await new PackageManager({ root }).install(['hello']).catch((e) => e);
        return true;
      },
    });
    const changes = await box.packages.install(['hello']);
    expect(asked).toEqual([{ kind: 'install', changes }]);
    expect(changes).toMatchObject([{ name: 'hello', to: '1.0.0', repo: 'main' }]);
    expect(lockedWhileAsked).toMatchObject({ code: 'locked' });
    expect(await installed(box)).toEqual(['hello@1.0.0']);
  });

  it('a no is a DeclinedError and changes nothing; --yes asks nothing', async () => {
    const { root } = await publishedRoot(['1.0.0']);
    const no = openBox(root, { confirm: async () => false });
    await expect(no.packages.install(['hello'])).rejects.toBeInstanceOf(DeclinedError);
    expect(await installed(no)).toEqual([]);
    expect(existsSync(path.join(root, 'opt/blueprint/hello'))).toBe(false);
    const yes = openBox(root, {
      yes: true,
      confirm: async () => {
        throw new Error('asked despite yes');
      },
    });
    await yes.packages.install(['hello']);
    await expect(no.packages.remove(['hello'])).rejects.toBeInstanceOf(DeclinedError);
    expect(await installed(yes)).toEqual(['hello@1.0.0']);
  });

  it('a plan shown earlier (expected) is carried out only if it is still the plan', async () => {
    const { root } = await publishedRoot(['1.0.0']);
    const box = openBox(root);
    const shown = await box.packages.plan(['hello']);
    await new PackageManager({ root }).install(['hello']); // someone else installs it meanwhile
    await expect(box.packages.install(['hello'], { expected: shown })).rejects.toMatchObject({
      code: 'plan-changed',
    });
    const again = await box.packages.plan(['hello'], { reinstall: true });
    expect(await box.packages.install(['hello'], { reinstall: true, expected: again })).toEqual(again);
  });

  it('trusting a key without a fingerprint needs someone to answer', async () => {
    const { root } = await publishedRoot(['1.0.0']);
    // A key the box does not trust yet (a copy of one it trusts is merged without asking: key-add-update).
    const key = await makeKey(path.join(tempDir('bp-box-newkey-'), 'key'));
    await expect(openBox(root).keys.trust(key.publicKey)).rejects.toMatchObject({ code: 'usage' });
    const asked: Question[] = [];
    const box = openBox(root, {
      confirm: async (q) => {
        asked.push(q);
        return true;
      },
    });
    const k = await box.keys.trust(key.publicKey);
    expect(asked).toEqual([
      { kind: 'trust-key', key: expect.objectContaining({ fingerprint: k.fingerprint }) },
    ]);
  });
});

describe('openBox: status', () => {
  it('says why services cannot be read instead of failing', async () => {
    const { root } = await publishedRoot(['1.0.0']);
    const box = openBox(root, { env: { CONTAINER_HOST: 'unix:///nonexistent/podman.sock' } });
    await box.packages.install(['hello']);
    const s = await box.status();
    expect(s.packages).toEqual([{ name: 'hello', version: '1.0.0' }]);
    // hello has no service section: nothing to ask the engine.
    expect(s.services).toEqual([]);
    expect(s.setUp).toBe(false);
  });
});
