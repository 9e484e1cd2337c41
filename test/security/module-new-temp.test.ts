import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint module new NAME` wrote the template into `.NAME.new-PID` beside the target, a name
 * anyone could work out, after removing whatever was there. Another local user who can write the
 * parent folder (a shared workspace) links that name to a folder of theirs right after the removal:
 * the template is written through the link into their folder, and the rename then moves the link
 * into place, so the admin's new module (the code they later build and sign) is the attacker's
 * folder. The race is won here on purpose: after each removal of a `.NAME.new-…` path, the
 * "attacker" plants the link at the predictable name.
 */
const attack = vi.hoisted(() => ({
  armed: false,
  base: '',
  link: '',
  to: '',
  /** Done to the folder mkdtemp made, right after (the attacker renames it away, plants this). */
  swap: undefined as undefined | 'link' | 'folder',
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const rm: typeof real.rm = async (p, opts) => {
    await real.rm(p, opts);
    const name = typeof p === 'string' ? p.split('/').pop()! : '';
    if (attack.armed && name.startsWith(`.${attack.base}.new-`)) {
      attack.armed = false;
      await real.symlink(attack.to, attack.link).catch(() => {});
    }
  };
  const mkdtemp = (async (prefix: string, opts?: unknown) => {
    const made = (await real.mkdtemp(prefix, opts as undefined)) as string;
    if (attack.swap) {
      await real.rename(made, `${made}.moved-away`);
      if (attack.swap === 'link') await real.symlink(attack.to, made);
      else await real.mkdir(made, { mode: 0o755 });
    }
    return made;
  }) as typeof real.mkdtemp;
  return { ...real, rm, mkdtemp, default: { ...real, rm, mkdtemp } };
});

const { scaffoldModule } = await import('../../src/core/modules/index.js');

function workspace(base: string) {
  const parent = realpathSync.native(tempDir('bp-modnew-'));
  const theirs = path.join(tempDir('bp-modnew-theirs-'), 'collect');
  mkdirSync(theirs);
  const predictable = path.join(parent, `.${base}.new-${process.pid}`);
  return { parent, theirs, predictable, target: path.join(parent, base) };
}

const expectModuleAt = (target: string) => {
  expect(lstatSync(target).isDirectory()).toBe(true); // a real folder, not a link to one
  expect(JSON.parse(readFileSync(path.join(target, 'manifest.json'), 'utf8')).name).toBe('demo-mod');
};

describe('module new: the temporary folder', () => {
  it('is not written through a link planted at the predictable name after the clean-up', async () => {
    const w = workspace('demo-mod');
    Object.assign(attack, { armed: true, base: 'demo-mod', link: w.predictable, to: w.theirs });
    await scaffoldModule('demo-mod', w.target).catch(() => {});
    attack.armed = false;
    // Before the fix: the template (manifest.json, server/, Containerfile...) was in the
    // attacker's folder and the target was a link to it.
    expect(readdirSync(w.theirs)).toEqual([]);
    expectModuleAt(w.target);
  });

  it('is not one planted beforehand at the predictable name (a link or a folder)', async () => {
    for (const kind of ['link', 'folder'] as const) {
      const w = workspace('demo-mod');
      if (kind === 'link') symlinkSync(w.theirs, w.predictable);
      else mkdirSync(path.join(w.predictable, 'server'), { recursive: true });
      const made = await scaffoldModule('demo-mod', w.target);
      expect(readdirSync(w.theirs)).toEqual([]);
      expectModuleAt(w.target);
      expect(made.dir).toBe(w.target);
      // What was planted is left alone (not followed, not removed), and nothing else is left behind.
      expect(lstatSync(w.predictable).isSymbolicLink()).toBe(kind === 'link');
      expect(readdirSync(w.parent).sort()).toEqual([path.basename(w.predictable), 'demo-mod'].sort());
    }
  });

  it('a folder swapped for a link or another folder after it was made is refused, not written', async () => {
    for (const swap of ['link', 'folder'] as const) {
      const w = workspace('demo-mod');
      Object.assign(attack, { swap, to: w.theirs });
      const err = await scaffoldModule('demo-mod', w.target).then(
        () => undefined,
        (e: unknown) => e,
      );
      attack.swap = undefined;
      expect((err as { code?: string }).code, swap).toBe('module-temp-swapped');
      expect(readdirSync(w.theirs)).toEqual([]);
      expect(() => lstatSync(w.target)).toThrow();
      // What the attacker put at the name is theirs: not removed, not written into.
      const planted = readdirSync(w.parent).find((n) => !n.endsWith('.moved-away'))!;
      if (swap === 'folder') expect(readdirSync(path.join(w.parent, planted))).toEqual([]);
      else expect(lstatSync(path.join(w.parent, planted)).isSymbolicLink()).toBe(true);
    }
  });
});
