/**
 * `blueprint --root TREE status` on another user's tree: REVIEW6 had status walk the tree's state
 * folders (var/lib/blueprint/services, pkg/lists, etc/blueprint/keys, …) through descriptors first,
 * but the files below them were still read by name, so a folder below those (a service's
 * registrations, services/NAME) swapped for a link had a registration of the folder it led to shown
 * as the tree's service. Now each state file of such a tree is read through beneath.ts's
 * descriptors (no link of the tree followed on the way). The link is made before the command runs.
 * Run as root (the tests' user): the tree is given to uid 1000, so status only reads it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerSpec, register } from '../helpers/client-token-box.js';
import { run, tempDir } from '../helpers/pkg.js';

const env = { BLUEPRINT_RAUC_TIMEOUT_MS: '1000' };

async function statusOf(root: string): Promise<string> {
  expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);
  const r = await run(['--root', root, '--json', 'status'], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function tree(): string {
  const root = path.join(tempDir('bp-tree-state-files-'), 'tree');
  mkdirSync(path.join(root, 'var/lib/blueprint/services'), { recursive: true });
  return root;
}

describe("another user's tree: the state files below its checked folders", () => {
  it('its own registration is read (the control)', async () => {
    const root = tree();
    await register(root, 'hostsvc', consumerSpec('/run/hostsvc'));
    expect(await statusOf(root)).toContain('hostsvc');
  });

  it("var/lib/blueprint/services/NAME a link out: that folder's registration is not the tree's service", async () => {
    const outside = tempDir('bp-tree-outside-reg-');
    await register(outside, 'hostsvc', consumerSpec('/run/hostsvc'));
    const root = tree();
    // The tree's own files of that version (a registration naming another root's is read as this one's).
    mkdirSync(path.join(root, 'opt/blueprint/hostsvc/1.0.0'), { recursive: true });
    symlinkSync(
      path.join(outside, 'var/lib/blueprint/services/hostsvc'),
      path.join(root, 'var/lib/blueprint/services/hostsvc'),
    );
    const doc = JSON.parse(await statusOf(root));
    // The services unread, said (status's ServicesUnread), not the folder's registration listed.
    expect(doc.services).toMatchObject({
      code: 'not-a-state-file',
      error: `${root}/var/lib/blueprint/services/hostsvc is a symbolic link, not the file blueprint writes there: it was not read`,
    });
  });
});
