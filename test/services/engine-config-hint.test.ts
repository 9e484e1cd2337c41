/**
 * engine.socket in ROOT/etc/blueprint/config.json naming a socket where nothing answers: doctor's
 * fix and every command's hint said 'Start the Podman API: `systemctl enable --now podman.socket`',
 * which serves /run/podman/podman.sock, not the socket the config names: the admin did it and
 * nothing changed. As for CONTAINER_HOST (engine-env-hint.test.ts), the fix now names the setting,
 * where it points and the way back. A config naming the default socket keeps the Podman fix. The
 * file is named by its path on the box the command acts on (ROOT/etc/…, /etc/… on the box itself):
 * 'etc/blueprint/config.json' alone left the admin of a --root to guess which (QA7's walk).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/core/services/doctor.js';
import { DEFAULT_SOCKET, engineDownFix } from '../../src/core/services/engine.js';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function withSocket(socket: string): string {
  const root = tempDir('bp-cfghint-');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket } }));
  return root;
}

describe('engine down at the socket config.json names', () => {
  const dead = path.join(tempDir('bp-cfgsock-'), 'nothing.sock');

  it('doctor: the fix names engine.socket and the way back', async () => {
    const root = withSocket(dead);
    const answers = (await runDoctor(root, {})).find((c) => c.name === 'engine answers')!;
    expect(answers.ok).toBe(false);
    expect(answers.fix).toContain(
      `engine.socket in ${path.join(root, 'etc/blueprint/config.json')} sends blueprint to ${dead}`,
    );
    expect(answers.fix).toContain(`remove engine.socket to use ${DEFAULT_SOCKET}`);
    expect(answers.fix).not.toContain('podman.socket');
  });

  it('service stop: the hint too', async () => {
    delete process.env.CONTAINER_HOST;
    delete process.env.DOCKER_HOST;
    const root = withSocket(dead);
    installedRag(root);
    const r = await runCliHere(['--root', root, 'service', 'stop', 'rag']);
    expect(r.code).toBe(6);
    expect(r.err).toContain(
      `engine.socket in ${path.join(root, 'etc/blueprint/config.json')} sends blueprint to ${dead}`,
    );
  });

  it('a config naming the default socket keeps the Podman fix', () => {
    expect(engineDownFix(DEFAULT_SOCKET, 'config')).toContain('systemctl enable --now podman.socket');
    expect(engineDownFix(dead, 'config')).not.toContain('podman.socket');
  });
});
