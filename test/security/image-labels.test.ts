import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnpackedPackage } from '../../src/core/pkg/hooks.js';
import type { ContainerInfo } from '../../src/core/services/container-info.js';
import type { Engine } from '../../src/core/services/engine.js';
import { removeContainer } from '../../src/core/services/lifecycle.js';
import { MODULE_LABEL } from '../../src/core/services/policy.js';
import { buildHelloWith, cli, makeBox, podman, type TestBox, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * The engine gives a container its image's labels, and the container's own labels win only where
 * the spec sets them. blueprint reads two of its labels back when it removes a module's container
 * (at `bpkg remove`, an upgrade, a changed sandbox): the used modules' socket folders and the group
 * whose ACL entries it made there (`org.blueprintos.uses-dirs`, `uses-gid`). A module that uses no
 * other module got those labels from its image, i.e. from its publisher: root then ran
 * `setfacl -x g:GID` on any host paths the image named (which recomputes a file's ACL mask, giving
 * back the access a narrow mask had taken away), and a label that is not JSON made the removal fail
 * for good (the module could not be removed). Labels blueprint reads are now always set by the spec.
 */

/** The hello module whose image carries these labels. */
const helloWithLabels = (labels: Record<string, string>) =>
  buildHelloWith(
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ')}`,
  );

const acl = (file: string) => execFileSync('getfacl', ['-cpn', file], { encoding: 'utf8' });

describe('labels a module image carries are not read back as blueprint’s own', () => {
  let box: TestBox;
  let victim: string;
  let pkg: UnpackedPackage;
  const name = uniqueName('bpt-labels');
  beforeAll(async () => {
    // A host file whose named entry is held to read by its mask (the admin's choice).
    victim = path.join(tempDir('bp-labels-victim-'), 'report.db');
    writeFileSync(victim, 'private');
    execFileSync('setfacl', ['-m', 'u:nobody:rw,m::r', victim]);
    box = await makeBox(
      await helloWithLabels({
        'org.blueprintos.uses-dirs': JSON.stringify([victim]),
        'org.blueprintos.uses-gid': '0',
      }),
    );
    pkg = await box.install(name);
    const s = await cli(box.root, ['service', 'start', name]);
    expect(s.code, s.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await box?.cleanup();
  });

  it('removing its container runs no setfacl on the paths the image named: the mask stays', async () => {
    expect(acl(victim)).toMatch(/^mask::r--$/m);
    await box.hooks.afterRemove!(pkg, { yes: false, info: () => {}, warn: () => {} });
    expect(
      await podman('ps', '-a', '--filter', `label=${MODULE_LABEL}=${name}`, '--format', '{{.Names}}'),
    ).toBe('');
    expect(acl(victim)).toMatch(/^mask::r--$/m);
  });
});

describe('a label that is not JSON does not make a module impossible to remove', () => {
  let box: TestBox;
  let pkg: UnpackedPackage;
  const name = uniqueName('bpt-labels-bad');
  beforeAll(async () => {
    box = await makeBox(
      await helloWithLabels({ 'org.blueprintos.uses-dirs': 'not json', 'org.blueprintos.uses-gid': '0' }),
    );
    pkg = await box.install(name);
    const s = await cli(box.root, ['service', 'start', name]);
    expect(s.code, s.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await box?.cleanup().catch(() => {});
    // What a failed removal left (before the fix): the container, so its image can go too.
    await podman('rm', '-f', `blueprint-${name}`).catch(() => {});
  });

  it('the package removal removes its container', async () => {
    const removal = box.hooks.afterRemove!(pkg, { yes: false, info: () => {}, warn: () => {} });
    await expect(removal).resolves.toBeUndefined();
    expect(
      await podman('ps', '-a', '--filter', `label=${MODULE_LABEL}=${name}`, '--format', '{{.Names}}'),
    ).toBe('');
  });
});

describe('a container made before the labels were always set (its image’s labels in place)', () => {
  it('its removal runs setfacl only on socket folders, never on a path the image named', async () => {
    const victim = path.join(tempDir('bp-labels-old-'), 'report.db');
    writeFileSync(victim, 'private');
    execFileSync('setfacl', ['-m', 'u:nobody:rw,m::r', victim]);
    const calls: string[] = [];
    const engine = {
      libpod: async (method: string, apiPath: string) => {
        calls.push(`${method} ${apiPath}`);
      },
    } as unknown as Engine;
    const info = {
      Id: 'old',
      State: {} as ContainerInfo['State'],
      RestartCount: 0,
      Config: {
        Labels: { 'org.blueprintos.uses-dirs': JSON.stringify([victim]), 'org.blueprintos.uses-gid': '0' },
      },
      HostConfig: { IDMappings: { GidMap: ['0:2147483647:65536'] } },
    } satisfies ContainerInfo;
    await removeContainer(engine, 'old', info);
    expect(calls).toEqual(['DELETE /containers/old']);
    expect(acl(victim)).toMatch(/^mask::r--$/m);
  });
});
