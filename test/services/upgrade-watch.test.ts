import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RestartRecord } from '../../src/core/services/restarts.js';
import { readRestartRecord } from '../../src/core/services/restarts.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { emptyFileBox, quietHook, uniqueName } from './helpers.js';

// What the restart record says at the moment the upgrade starts the new version: between the old
// container's removal and that start, a watcher must see an admin's action, not a crash.
const seen = vi.hoisted(() => ({ records: [] as RestartRecord[], root: '' }));
vi.mock('../../src/core/services/lifecycle.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/services/lifecycle.js')>();
  const { readRestartRecord: read } = await import('../../src/core/services/restarts.js');
  return {
    ...real,
    startService: async (...args: Parameters<typeof real.startService>) => {
      if (seen.root) seen.records.push(await read(seen.root, args[1]));
      return real.startService(...args);
    },
  };
});

const { box } = emptyFileBox();

describe('an upgrade of a running module and the services watcher', () => {
  it('holds restarts while the old container is replaced, and the new version starts with a clean count', async () => {
    const { startService } = await import('../../src/core/services/lifecycle.js');
    const name = uniqueName('bpt-upwatch');
    const deps = { engine: box.engine, root: box.root };
    const old = await box.install(name);
    await startService(deps, name);
    await box.install(name, {}, { version: '1.1.0' });
    seen.root = box.root;
    seen.records = [];
    await box.hooks.afterRemove!(old, quietHook());
    seen.root = '';
    // The hook's own start of the new version saw a held record: a watcher would leave it alone.
    expect(seen.records).toHaveLength(1);
    expect(seen.records[0]).toMatchObject({ held: true, crashes: 0 });
    const after = await readRestartRecord(box.root, name);
    expect(after.held).toBeFalsy();
    expect(after.crashes).toBe(0);
    expect((await serviceStatus(deps, name)).state).toBe('running');
  });
});

describe('removing the last version of a module', () => {
  it("deletes its AppArmor profile file and the parser's cached copy", async () => {
    const { profileFile, profileName } = await import('../../src/core/services/apparmor.js');
    const name = uniqueName('bpt-aaremove');
    const pkg = await box.install(name);
    const file = profileFile(box.root, name);
    const cached = path.join(box.root, 'var/cache/blueprint/apparmor/abc123.0', profileName(name));
    for (const f of [file, cached]) {
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, 'profile text');
    }
    await box.hooks.afterRemove!(pkg, quietHook());
    expect(existsSync(file)).toBe(false);
    expect(existsSync(cached)).toBe(false);
  });
});
