/**
 * The dashboard's Remove repository of a repository not configured says "nothing to do" (a0931554),
 * as `bpkg repo remove` does. But the CLI says so only of a name a repository can have: a name with a
 * look-alike letter (Cyrillic і in maіn) is refused there, exit 2, "Bad repository name". The
 * dashboard answered that same name with "repository maіn is not there, nothing to do": on the page
 * the name of the repository that is still configured, still trusted for its packages. Now refused
 * with the CLI's words, the repository untouched.
 */
import { expect, it } from 'vitest';
import { bpkg } from '../helpers/pkg.js';
import { boxDashboard } from '../web/box-dashboard.js';

const box = boxDashboard([{ name: 'alpha', version: '1.0.0' }], 'alpha', 'bp-web-repo-look-alike-');

it('a Remove repository of a look-alike name is refused as the CLI refuses it, nothing said absent', async () => {
  const lookAlike = 'ma\u0456n';
  const cli = await bpkg(box.root, ['repo', 'remove', lookAlike]);
  expect(cli.code).toBe(2);
  expect(cli.stderr).toContain('Bad repository name');
  const r = await box.post(`/keys/repos/${encodeURIComponent(lookAlike)}/remove`, {});
  expect(r.status).toBe(303);
  const shown = (await box.get(r.headers.location!)).body;
  expect(shown).not.toContain('nothing to do');
  expect(shown).toContain('Bad repository name');
  // Still configured.
  const list = await bpkg(box.root, ['repo', 'list']);
  expect(list.stdout).toMatch(/^main\s/m);
});
