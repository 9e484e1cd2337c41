import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/core/services/doctor.js';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * CONTAINER_HOST (or DOCKER_HOST) pointing at a socket where nothing answers: the hint said 'Start
 * the Podman API: systemctl enable --now podman.socket', which a user whose Podman runs fine does
 * and nothing changes. It names the variable, where it points, and that unsetting it goes back to
 * the default socket. Doctor's own fix line no longer says '`blueprint doctor` checks it'.
 */
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('engine down through CONTAINER_HOST', () => {
  const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');

  it('service stop: the hint names the variable and the way back', async () => {
    delete process.env.DOCKER_HOST;
    process.env.CONTAINER_HOST = `unix://${dead}`;
    const root = tempDir('bp-envhint-');
    installedRag(root);
    const r = await runCliHere(['--root', root, 'service', 'stop', 'rag']);
    expect(r.code).toBe(6);
    expect(r.err).toContain(`CONTAINER_HOST=unix://${dead}`);
    expect(r.err).toContain('unset CONTAINER_HOST');
  });

  it('doctor: the fix names the variable, and doctor does not send the user to doctor', async () => {
    const checks = await runDoctor(tempDir('bp-envhint-'), { DOCKER_HOST: `unix://${dead}` });
    const answers = checks.find((c) => c.name === 'engine answers')!;
    expect(answers.ok).toBe(false);
    expect(answers.fix).toContain('unset DOCKER_HOST');
    expect(answers.fix).not.toContain('blueprint doctor');
  });

  it('a socket from config.json: doctor does not send the user to doctor', async () => {
    const root = tempDir('bp-envhint-');
    mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
    writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket: dead } }));
    const answers = (await runDoctor(root, {})).find((c) => c.name === 'engine answers')!;
    expect(answers.ok).toBe(false);
    expect(answers.fix).not.toContain('blueprint doctor');
  });
});
