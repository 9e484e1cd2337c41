import { describe, expect, it } from 'vitest';
import { inspectContainer } from '../../src/core/services/container-info.js';
import { buildHelloWith, fileBox, uniqueName } from '../services/helpers.js';

/**
 * The sandbox mounts exactly what the manifest declares (socket folder, data folder, package
 * files) on a read-only root with a small noexec /tmp. But the engine also makes a volume for every
 * VOLUME an image declares, unless told not to: a module whose image said `VOLUME /cache` got a
 * writable, executable folder of its own on the host's container storage, kept from start to start
 * and bounded by nothing, that no manifest field asked for and the admin never saw. Image volumes
 * are now ignored (`image_volume_mode: ignore`).
 */

const name = uniqueName('bpt-volume');
const box = fileBox(() => buildHelloWith('VOLUME /cache'), name, { start: true });

describe('a VOLUME in a module image', () => {
  it('gives its container no volume: the mounts are the ones the manifest declared', async () => {
    const info = await inspectContainer(box.engine, name, box.root);
    const mounts = (info?.Mounts ?? []).map((m) => ({ type: m.Type, at: m.Destination, rw: m.RW }));
    expect(mounts.filter((m) => m.type === 'volume')).toEqual([]);
    expect(mounts.map((m) => m.at).sort()).toEqual(['/run/hello', '/var/lib/hello']);
  });
});
