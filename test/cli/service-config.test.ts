/**
 * `blueprint service config NAME [KEY=VALUE...] [--unset KEY]` through the built executable: the
 * settings a manifest declares shown with value, default and bounds; an undeclared key or a value
 * out of bounds refused (exit 2) naming what is allowed; the file written whole or not at all.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { run } from '../helpers/pkg.js';
import { hasStrace, killedAtRename, traceUntil } from '../helpers/power-cut.js';

const NAME = 'llm';
const file = (root: string) => path.join(root, 'etc/blueprint/settings', `${NAME}.json`);

async function box(): Promise<string> {
  const root = tokenRoot('bp-service-config-');
  await register(
    root,
    NAME,
    parseService({
      image,
      env: { LLM_PARALLEL: '1' },
      settings: {
        LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests generated at once' },
        KIT_ORIGINS: { type: 'origins', description: 'Browser origins let in besides this machine’s' },
      },
    }),
  );
  return root;
}

const config = (root: string, ...args: string[]) => run(['--root', root, 'service', 'config', NAME, ...args]);

describe('blueprint service config', () => {
  it('shows each setting with its value, default and what it allows', async () => {
    const root = await box();
    const r = await config(root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/LLM_PARALLEL +- +1 +a whole number from 1 to 8/);
    expect(r.stdout).toContain('LLM_PARALLEL: Requests generated at once');
    const j = await run(['--root', root, '--json', 'service', 'config', NAME]);
    expect(JSON.parse(j.stdout).settings[0]).toEqual({
      key: 'LLM_PARALLEL',
      type: 'integer',
      min: 1,
      max: 8,
      description: 'Requests generated at once',
      allowed: 'a whole number from 1 to 8',
      default: '1',
      effective: '1',
    });
  });

  it('sets and unsets, saying when it applies', async () => {
    const root = await box();
    const r = await config(root, 'LLM_PARALLEL=4', 'KIT_ORIGINS=http://10.0.0.5:3000');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('LLM_PARALLEL=4 KIT_ORIGINS=http://10.0.0.5:3000');
    expect(r.stdout).toContain(`They apply when ${NAME} next starts.`);
    expect(JSON.parse(readFileSync(file(root), 'utf8'))).toEqual({
      LLM_PARALLEL: '4',
      KIT_ORIGINS: 'http://10.0.0.5:3000',
    });
    const u = await config(root, '--unset', 'LLM_PARALLEL');
    expect(u.code, u.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file(root), 'utf8'))).toEqual({ KIT_ORIGINS: 'http://10.0.0.5:3000' });
  });

  it('service inspect lists the settings the next start gives', async () => {
    const root = await box();
    expect((await config(root, 'LLM_PARALLEL=4')).code).toBe(0);
    const r = await run(['--root', root, 'service', 'inspect', NAME]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Settings (\`blueprint --root ${root} service config llm\`):`);
    expect(r.stdout).toMatch(/\n {2}LLM_PARALLEL +4 \(set by the admin\)\n/);
    expect(r.stdout).toMatch(/\n {2}KIT_ORIGINS +\(unset\) \(default\)/);
  });

  it('warns when the origins are every site', async () => {
    const root = await box();
    const r = await config(root, 'KIT_ORIGINS=*');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("warning: KIT_ORIGINS is *: every web site's pages");
  });

  it.each([
    [['LLM_CONTEXT=8192'], 'llm 1.0.0 has no setting LLM_CONTEXT (its settings: LLM_PARALLEL, KIT_ORIGINS)'],
    [['LLM_PARALLEL=0'], 'LLM_PARALLEL must be a whole number from 1 to 8'],
    [['KIT_ORIGINS=https://*.example.com'], 'is not an exact origin'],
    [['LLM_PARALLEL'], 'Expected KEY=VALUE'],
    [['--unset', 'LLM_CONTEXT'], 'llm has no setting LLM_CONTEXT to unset'],
  ])('refuses %j (exit 2), writing nothing', async (args, message) => {
    const root = await box();
    const r = await config(root, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(() => readFileSync(file(root))).toThrow(/ENOENT/);
  });

  it('refuses a settings file that is a link to a file outside, writing nothing there', async () => {
    const root = await box();
    const outside = path.join(root, 'outside.json');
    writeFileSync(outside, '{"LLM_PARALLEL": "1"}\n');
    mkdirSync(path.dirname(file(root)), { recursive: true });
    symlinkSync(outside, file(root));
    const r = await config(root, 'LLM_PARALLEL=4');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The settings of llm are not valid: it is a symbolic link');
    expect(readFileSync(outside, 'utf8')).toBe('{"LLM_PARALLEL": "1"}\n');
  });

  it('refuses a settings folder that is a link in a folder others can write, writing nothing outside', async () => {
    const root = await box();
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
    chmodSync(path.join(root, 'etc/blueprint'), 0o777);
    symlinkSync(outside, path.dirname(file(root)));
    const r = await config(root, 'LLM_PARALLEL=4');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('another user can change');
    expect(r.stderr).toContain('etc/blueprint (writable by all users)');
    expect(readdirSync(outside)).toEqual([]);
  });

  it.skipIf(!hasStrace)('writes the file synced before it is renamed into place', async () => {
    const root = await box();
    // Renamed in its folder held open (/proc/self/fd/N/llm.json), never by the path.
    const lines = traceUntil(['--root', root, 'service', 'config', NAME, 'LLM_PARALLEL=2'], /\/llm\.json"/);
    expect(lines.some((l) => /\bfsync\(\d+<[^>]*\.llm\.json\.[^>]*\.tmp>/.test(l))).toBe(true);
  });

  it.skipIf(!hasStrace)('leaves the old file whole when killed before its rename', async () => {
    const root = await box();
    expect((await config(root, 'LLM_PARALLEL=3')).code).toBe(0);
    const before = readFileSync(file(root), 'utf8');
    killedAtRename(['--root', root, 'service', 'config', NAME, 'LLM_PARALLEL=7']);
    // Killed with its new file written beside the old one, not yet renamed over it.
    expect(readdirSync(path.dirname(file(root))).some((f) => /^\.llm\.json\..*\.tmp$/.test(f))).toBe(true);
    expect(readFileSync(file(root), 'utf8')).toBe(before);
    const show = await run(['--root', root, '--json', 'service', 'config', NAME]);
    expect(JSON.parse(show.stdout).settings[0].value).toBe('3');
    // The dead writer's lock and temporary file do not stand in the next change's way.
    expect((await config(root, 'LLM_PARALLEL=5')).code).toBe(0);
    expect(readdirSync(path.dirname(file(root))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
