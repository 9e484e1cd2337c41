import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `service logs` says the logs are kept on disk (the engine's bounded k8s-file under
 * ROOT/var/log/blueprint/services), yet with the engine down it only said 'The container engine is
 * not running' (exit 6): the one time a user most wants the logs. Without --follow they are read
 * from the file then, with a warning that the engine did not answer.
 */
const saved = { ...process.env };
let root: string;
beforeEach(() => {
  root = tempDir('bp-logs-kept-');
  installedRag(root);
  delete process.env.DOCKER_HOST;
  process.env.CONTAINER_HOST = `unix://${path.join(tempDir('bp-logs-sock-'), 'none.sock')}`;
});
afterEach(() => {
  process.env = { ...saved };
});

const kept = (text: string) => {
  const dir = path.join(root, 'var/log/blueprint/services');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'rag.log'), text);
};
const FILE = [
  '2026-12-02T17:28:35.255774027+00:00 stdout F first line',
  '2026-12-02T17:28:36.000000001+00:00 stderr P half ',
  '2026-12-02T17:28:36.000000002+00:00 stderr F and the rest',
  '2026-12-02T17:28:37.5+00:00 stdout F last line',
  '',
].join('\n');

describe('service logs with the engine down', () => {
  it('prints the lines kept on disk (partial lines joined), with a warning, exit 0', async () => {
    kept(FILE);
    const r = await runCliHere(['--root', root, 'service', 'logs', 'rag']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '2026-12-02T17:28:35.255774027Z first line',
        '2026-12-02T17:28:36.000000002Z half and the rest',
        '2026-12-02T17:28:37.5Z last line',
        '',
      ].join('\n'),
    );
    expect(r.err).toMatch(/warning: .*engine.*kept on disk/);
  });

  it('--tail and --no-timestamps apply; --json gives the same lines', async () => {
    kept(FILE);
    const r = await runCliHere(['--root', root, 'service', 'logs', 'rag', '--tail', '2', '--no-timestamps']);
    expect(r.out).toBe('half and the rest\nlast line\n');
    const j = await runCliHere(['--root', root, '--json', 'service', 'logs', 'rag', '--tail', '1']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toEqual({
      name: 'rag',
      lines: [{ time: '2026-12-02T17:28:37.5Z', line: 'last line' }],
    });
  });

  it('--since/--until filter the kept lines by their times; --tail is the last N of that window', async () => {
    kept(FILE);
    const text = async (...args: string[]) => {
      const r = await runCliHere(['--root', root, 'service', 'logs', 'rag', '--no-timestamps', ...args]);
      expect(r.code, r.err).toBe(0);
      return r.out;
    };
    expect(await text('--since', '2026-12-02T17:28:36Z')).toBe('half and the rest\nlast line\n');
    expect(await text('--until', '2026-12-02T17:28:36.5Z')).toBe('first line\nhalf and the rest\n');
    expect(await text('--since', '2026-12-02T17:28:36Z', '--until', '2026-12-02T18:28:36.5+01:00')).toBe(
      'half and the rest\n',
    );
    // A Unix timestamp; the last 1 of the window before 17:28:37 (not the last line of the file).
    expect(await text('--until', String(Date.UTC(2026, 11, 2, 17, 28, 37) / 1000), '--tail', '1')).toBe(
      'half and the rest\n',
    );
    // A duration ago: these lines are days old.
    expect(await text('--since', '10m')).toBe('');
    expect(await text('--since', '3650d', '--tail', '1')).toBe('last line\n');
    const j = await runCliHere([
      '--root',
      root,
      '--json',
      'service',
      'logs',
      'rag',
      '--since',
      '2026-12-02T17:28:37Z',
    ]);
    expect(JSON.parse(j.out)).toEqual({
      name: 'rag',
      lines: [{ time: '2026-12-02T17:28:37.5Z', line: 'last line' }],
    });
  });

  it('a WHEN it cannot read: a usage error naming the forms, exit 2, nothing printed', async () => {
    kept(FILE);
    for (const opt of ['--since', '--until']) {
      const r = await runCliHere(['--root', root, 'service', 'logs', 'rag', opt, 'yesterday']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(`${opt} 'yesterday'`);
      expect(r.err).toMatch(/duration ago \(10m.*RFC 3339.*Unix timestamp/s);
    }
  });

  it('no file kept, or --follow: the engine error stands (exit 6)', async () => {
    expect((await runCliHere(['--root', root, 'service', 'logs', 'rag'])).code).toBe(6);
    kept(FILE);
    expect((await runCliHere(['--root', root, 'service', 'logs', 'rag', '-f'])).code).toBe(6);
  });
});
