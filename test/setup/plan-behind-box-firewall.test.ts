/**
 * A headless setup on the image (test/image/egress) asked for a module from a repository the box
 * had not added yet: the plan fetched that repository's index in a scratch box to judge the name,
 * but the image's default-deny firewall drops everything until apply loads the rules that allow
 * the repository, so the fetch waited for its timeout and setup failed ("cannot be checked: …
 * timed out") with a good answers file. With the box's firewall in force the plan leaves those
 * names to apply's install (fetched once the rules allow it); without it, it judges them as before.
 */
import { describe, expect, it } from 'vitest';
import { withCatalog } from '../../src/core/setup/catalog.js';
import type { ResolvedRepository } from '../../src/core/setup/keys.js';
import type { ModuleOps } from '../../src/core/setup/ops.js';
import type { ApplianceSpec } from '../../src/core/setup/schema.js';
import { tempDir } from './temp-registry.js';

const repo = {
  name: 'test',
  url: 'http://10.0.2.2:8080',
  key: { armored: 'KEY', fingerprint: 'F'.repeat(40) },
} as unknown as ResolvedRepository;
const spec = { modules: [{ name: 'egress-probe', state: 'installed' }] } as unknown as ApplianceSpec;

function ops(fetched: string[]): ModuleOps {
  return {
    installed: async () => [],
    repositories: async () => [],
    offered: async () => [],
    offeredBy: async (repos: { url: string }[]) => {
      fetched.push(...repos.map((r) => r.url));
      // What the image's firewall made of the fetch.
      return { offered: [], failed: [{ repo: 'test', code: 'network', message: 'timed out' }] };
    },
  } as unknown as ModuleOps;
}

describe('setup plan: a new repository behind the box firewall', () => {
  it('is not fetched while the firewall is in force; apply installs after loading the rules', async () => {
    const fetched: string[] = [];
    const root = tempDir('bp-plan-fw-');
    const repos = await withCatalog(root, spec, [repo], ops(fetched), async () => true);
    expect(repos).toEqual([repo]);
    expect(fetched).toEqual([]);
  });

  it('is fetched and judged where no firewall holds it back (a typo is refused early)', async () => {
    const fetched: string[] = [];
    const root = tempDir('bp-plan-fw-');
    await expect(withCatalog(root, spec, [repo], ops(fetched), async () => false)).rejects.toThrow(
      /"egress-probe" cannot be checked: the index of repository test could not be fetched: timed out/,
    );
    expect(fetched).toEqual(['http://10.0.2.2:8080']);
  });

  it('a box folder (not the running box) counts as no firewall', async () => {
    const fetched: string[] = [];
    await expect(withCatalog(tempDir('bp-plan-fw-'), spec, [repo], ops(fetched))).rejects.toThrow(
      /cannot be checked/,
    );
    expect(fetched).toHaveLength(1);
  });
});
