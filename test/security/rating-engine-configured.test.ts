// `engine-api` (score 1) for the socket this box's engine answers on, wherever it is configured
// (CONTAINER_HOST, config.json's engine.socket): QA13's walk after 1169a7ba, which knew the usual
// places only. A container given the folder of an engine socket elsewhere (here a second Podman
// API service on a socket in a temporary folder, as ../shared/ENVIRONMENT.md's
// /run/blueprint/engine.sock is) reached the engine and was rated for a foreign mount (−1).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/core/services/engine.js';
import { containerName } from '../../src/core/services/policy.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { until } from '../helpers/until.js';
import { engineUp, podman, swapBox } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

describe.skipIf(!engineUp)(
  'a container given the folder of the engine socket the box is configured with',
  () => {
    const { box, build, name, swapIn } = swapBox('engsock');
    let service: ChildProcess | undefined;
    const dir = tempDir('bp-engine-sock-');
    const socket = path.join(dir, 'engine.sock');

    beforeAll(async () => {
      service = spawn('podman', ['system', 'service', '--time', '0', `unix://${socket}`], {
        stdio: 'ignore',
      });
      await until('the second API socket', () => existsSync(socket));
    }, 60_000);
    afterAll(() => {
      service?.kill();
    });

    it('is rated engine-api, score 1', async () => {
      await swapIn(
        ...['-v', `${dir}:/eng:ro`, '--network', 'none', '--read-only', '--cap-drop', 'all'],
        ...['--security-opt', 'no-new-privileges', build.id, 'stubborn'],
      );
      // The engine answers there, from inside.
      const reached = await podman('exec', containerName(name), '/hello', 'connect', '/eng/engine.sock').then(
        (out) => out,
        (err: { stdout?: string }) => err.stdout ?? '',
      );
      expect(JSON.parse(reached).connect).toMatch(/^(ok|no answer)$/);

      const r = (await serviceStatus({ engine: openEngine(socket), root: box.root }, name)).rating;
      expect(r.basis).toBe('container');
      expect(r.items.find((x) => x.code === 'engine-api')).toMatchObject({ data: { source: dir } });
      expect(r.score).toBe(1);
    }, 120_000);
  },
);
