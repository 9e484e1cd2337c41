import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import {
  type ApplianceSpec,
  applyPlan,
  type ModuleOps,
  planSetup,
  specSchema,
} from '../../src/core/setup/index.js';
import { image, register } from '../helpers/client-token-box.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from './helpers.js';

// `settings:` of a module in an appliance file (`blueprint apply -f`): the file `service config`
// writes, judged the same way against the installed manifest.
const box = boxPerTest('apply-settings');
const at = box.at;
const spec = (modules: unknown[]): ApplianceSpec =>
  specSchema.parse({
    hostname: 'box-01',
    users: [{ name: 'admin', keys: [sshPublicKey('ops@laptop')] }],
    modules,
  });

/** A box where llm is installed and running (nothing to install or start). */
const ops = (): ModuleOps => ({
  trustedKeys: async () => [],
  trustKey: async () => '',
  repositories: async () => [],
  addRepository: async () => {},
  removeRepository: async () => {},
  installed: async () => ['llm'],
  install: async () => {},
  remove: async () => {},
  registered: async () => ['llm'],
  running: async () => ['llm'],
  start: async () => {},
  stop: async () => {},
});

const registerLlm = () =>
  register(
    box.root,
    'llm',
    parseService({
      image,
      env: { LLM_PARALLEL: '1' },
      settings: {
        LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests at once' },
        KIT_ORIGINS: { type: 'origins', description: 'Browser origins' },
      },
    }),
  );
const file = () => at('etc/blueprint/settings/llm.json');
const plan = async (modules: unknown[]) => planSetup(box.root, spec(modules), [], ops());

describe('apply -f: settings of a module', () => {
  it('writes the settings the installed manifest declares, numbers as text', async () => {
    await registerLlm();
    await applyPlan(
      await plan([{ name: 'llm', settings: { LLM_PARALLEL: 4, KIT_ORIGINS: 'http://10.0.0.5:3000' } }]),
      { ops: ops() },
    );
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({
      LLM_PARALLEL: '4',
      KIT_ORIGINS: 'http://10.0.0.5:3000',
    });
  });

  it('says so in the plan when the origins are every site', async () => {
    await registerLlm();
    const p = await plan([{ name: 'llm', settings: { KIT_ORIGINS: '*' } }]);
    const c = p.changes.find((x) => x.target === 'etc/blueprint/settings/llm.json');
    expect(c?.what).toBe(
      "settings of llm (warning: KIT_ORIGINS is *: every web site's pages may call it through a forwarded port)",
    );
  });

  it.each([
    [
      { LLM_CONTEXT: 8192 },
      'settings of llm: llm 1.0.0 has no setting LLM_CONTEXT (its settings: LLM_PARALLEL, KIT_ORIGINS)',
    ],
    [{ LLM_PARALLEL: 64 }, 'settings of llm: LLM_PARALLEL must be a whole number from 1 to 8'],
  ])('blocks the plan for %j, naming what is allowed, and writes nothing', async (settings, why) => {
    await registerLlm();
    await writeFile(file(), '{"LLM_PARALLEL": "2"}\n').catch(() => {});
    const before = await readFile(file(), 'utf8').catch(() => undefined);
    const p = await plan([{ name: 'llm', settings }]);
    expect(p.blocked).toContain(why);
    await expect(applyPlan(p, { ops: ops() })).rejects.toMatchObject({ code: 'blocked' });
    expect(await readFile(file(), 'utf8').catch(() => undefined)).toBe(before);
  });

  it('keeps what service config set when the module has no settings:', async () => {
    await registerLlm();
    await applyPlan(await plan([{ name: 'llm', settings: { LLM_PARALLEL: 2 } }]), { ops: ops() });
    const p = await plan(['llm']);
    expect(p.changes.some((c) => c.target === 'etc/blueprint/settings/llm.json')).toBe(false);
    await applyPlan(p, { ops: ops() });
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ LLM_PARALLEL: '2' });
  });

  it('sets the keys it names, keeps the others, and puts a null one back to its default', async () => {
    await registerLlm();
    await mkdir(path.dirname(file()), { recursive: true });
    await writeFile(file(), '{"KIT_ORIGINS": "http://10.0.0.5:3000", "LLM_PARALLEL": "3"}\n');
    await applyPlan(await plan([{ name: 'llm', settings: { LLM_PARALLEL: 2 } }]), { ops: ops() });
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({
      KIT_ORIGINS: 'http://10.0.0.5:3000',
      LLM_PARALLEL: '2',
    });
    await applyPlan(await plan([{ name: 'llm', settings: { KIT_ORIGINS: null } }]), { ops: ops() });
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ LLM_PARALLEL: '2' });
    // Applied again: nothing left to change.
    const again = await plan([{ name: 'llm', settings: { KIT_ORIGINS: null, LLM_PARALLEL: 2 } }]);
    expect(again.changes.find((c) => c.target === 'etc/blueprint/settings/llm.json')?.action).toBe(
      'unchanged',
    );
  });

  it('refuses a key that is not an environment variable name in the file itself', () => {
    expect(() => spec([{ name: 'llm', settings: { 'bad key': 1 } }])).toThrow(/environment variable name/);
  });

  // A module not installed yet has its values written as given (judged at its start): a newline
  // or an escape there reached the install's 'not applied' warning, where lines stay lines.
  it.each([
    ['a newline', 'x\nwarning: all fine'],
    ['an escape', '\u001b]0;title\u0007'],
  ])('refuses a value with %s in the file itself', (_, value) => {
    expect(() => spec([{ name: 'rag', settings: { RAG_NOTE: value } }])).toThrow(/control characters/);
  });

  it('writes nothing for a module the file removes', async () => {
    await registerLlm();
    const p = await plan([{ name: 'llm', state: 'absent', settings: { LLM_PARALLEL: 2 } }]);
    expect(p.changes.some((c) => c.target === 'etc/blueprint/settings/llm.json')).toBe(false);
    await expect(lstat(file())).rejects.toThrow(/ENOENT/);
  });
});

// Guards: apply refuses both before its writer runs (the read refuses a link at the file's name;
// apply opens the folder one name at a time). test/services/settings-write holds the writer to it.
describe('apply -f: the settings file is never written through a link', () => {
  it('refuses a settings file that is a link to a file outside, and writes nothing there', async () => {
    await registerLlm();
    const outside = at('outside.json');
    await writeFile(outside, '{"LLM_PARALLEL": "1"}\n');
    await mkdir(path.dirname(file()), { recursive: true });
    await symlink(outside, file());
    const p = await plan([{ name: 'llm', settings: { LLM_PARALLEL: 4 } }]);
    await expect(applyPlan(p, { ops: ops() })).rejects.toThrow(/llm.*symbolic link/);
    expect(await readFile(outside, 'utf8')).toBe('{"LLM_PARALLEL": "1"}\n');
    expect((await lstat(file())).isSymbolicLink()).toBe(true);
  });

  it('refuses a settings folder that is a link in a folder others can write, and writes nothing outside', async () => {
    await registerLlm();
    const outside = at('outside');
    await mkdir(outside, { recursive: true });
    await mkdir(at('etc/blueprint'), { recursive: true });
    await chmod(at('etc/blueprint'), 0o777);
    await symlink(outside, at('etc/blueprint/settings'));
    const p = await plan([{ name: 'llm', settings: { LLM_PARALLEL: 4 } }]);
    await expect(applyPlan(p, { ops: ops() })).rejects.toThrow(
      /etc\/blueprint\/settings is a symbolic link in a folder another user can change/,
    );
    expect(await readdir(outside)).toEqual([]);
  });
});
