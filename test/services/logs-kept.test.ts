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

  it('no file kept, or --follow: the engine error stands (exit 6)', async () => {
    expect((await runCliHere(['--root', root, 'service', 'logs', 'rag'])).code).toBe(6);
    kept(FILE);
    expect((await runCliHere(['--root', root, 'service', 'logs', 'rag', '-f'])).code).toBe(6);
  });
});
