/**
 * The console and the web dashboard say what `bpkg install` says (1fd01fc, 44c603f) when a module
 * is installed beside a data folder kept from another origin: it will not start with that data,
 * and what to do. Before, only the command line printed it; the two front ends showed a plain
 * install.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { coreSources } from '../../src/tui/sources.js';
import { appOps } from '../../src/web/app-ops.js';
import { addOtherRepository, vectorsFromMain } from '../helpers/vectors-origins.js';

/** vectors installed from `main` with data in its folder, then removed (the folder kept, bound to main). */
async function keptFromMain() {
  const { root, box } = await vectorsFromMain();
  await register(root, '1.0.0');
  const data = path.join(root, 'var/lib/blueprint/modules/vectors');
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'index.bin'), 'private documents of A');
  await box.packages.remove(['vectors']);
  // Another repository, with its own key, offers a newer vectors.
  await addOtherRepository(root, '2.0.0');
  await register(root, '2.0.0');
  return { root, data };
}

/** A module's registration, as a module package's install writes it (these test packages are plain): data at /data. */
function register(root: string, version: string) {
  return writeRegistration(root, {
    name: 'vectors',
    version,
    prefix: path.join(root, 'opt/blueprint/vectors', version),
    spec: parseService({ image: { id: `sha256:${'b'.repeat(64)}` }, data: '/data' }),
    approvals: { outboundNetwork: false },
    imageId: `sha256:${'b'.repeat(64)}`,
  });
}

const warning = (data: string) =>
  `warning: vectors will not start with the data kept in ${data}: it came from vectors of repository main`;

/** The install action of each front end, as its screen or page calls it. */
const fronts = {
  'the console': (root: string) => coreSources(root).packageAction!,
  // As the page does: its plan shown first, its id carried back with the confirmation (1565136b).
  'the web dashboard':
    (root: string): ReturnType<typeof appOps>['packageAction'] =>
    async (action, name, progress, signal) => {
      const ops = appOps(root);
      const { plan } = await ops.signerOf(name);
      return ops.packageAction(action, name, progress, signal, undefined, plan);
    },
};

describe('a module installed beside data kept from elsewhere', () => {
  for (const [front, action] of Object.entries(fronts))
    it(`${front} says it will not start with that data`, async () => {
      const { root, data } = await keptFromMain();
      const lines: string[] = [];
      await action(root)('install', 'vectors', (l) => lines.push(l), new AbortController().signal);
      expect(
        lines.some((l) => l.startsWith(warning(data))),
        lines.join('\n'),
      ).toBe(true);
    });
});
