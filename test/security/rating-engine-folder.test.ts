// `engine-api` (score 1) is "a container engine's socket is mounted" (docs/security-rating.md).
// QA13's walk: a container given the host's /run, read-only, reached Podman's API through
// /run/podman/podman.sock inside it (connect() needs no writable mount), and was rated for a
// foreign mount only (−1, 5 of 8): the rule looked for a source that is the socket itself or a
// folder named like Podman's or Docker's, not for a folder the socket is under.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET } from '../../src/core/services/engine.js';
import { containerName } from '../../src/core/services/policy.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { podman, swapBox } from '../services/helpers.js';

// The engine this box's tests use must be Podman's default socket, which the container is given.
const defaultEngine = existsSync(DEFAULT_SOCKET) && !process.env.CONTAINER_HOST;

describe.skipIf(!defaultEngine)(
  "a container given the folder that holds the engine's socket (real Podman)",
  () => {
    const { box, build, name, swapIn } = swapBox('runmount');

    it('is rated engine-api, score 1', async () => {
      await swapIn(
        ...['-v', '/run:/hostrun:ro', '--network', 'none', '--read-only', '--cap-drop', 'all'],
        ...['--security-opt', 'no-new-privileges', build.id, 'stubborn'],
      );
      // It reaches the API: connect() succeeds and Podman answers (404 to hello's GET /health).
      const reached = await podman(
        'exec',
        containerName(name),
        '/hello',
        'connect',
        '/hostrun/podman/podman.sock',
      ).then(
        (out) => out,
        (err: { stdout?: string }) => err.stdout ?? '',
      );
      expect(JSON.parse(reached).connect).toMatch(/^(ok|no answer)$/);

      const r = (await serviceStatus({ engine: box.engine, root: box.root }, name)).rating;
      expect(r.basis).toBe('container');
      expect(r.items.find((x) => x.code === 'engine-api')).toMatchObject({ data: { source: '/run' } });
      expect(r.score).toBe(1);
    }, 120_000);
  },
);
