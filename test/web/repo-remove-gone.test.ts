/**
 * Removing a repository another admin (or a playbook) removed since its confirmation page was shown:
 * `bpkg repo remove NAME` of a repository not configured is "repository NAME is not there, nothing
 * to do", exit 0 (as `bpkg remove` of a package not installed), while the dashboard's Remove
 * repository answered the same request with an error notice ("No repository named NAME"). Now both
 * say the CLI's words, from src/present. A real box (signed folder repository), the dashboard
 * through its unix socket.
 */
import { expect, it } from 'vitest';
import { bpkg } from '../helpers/pkg.js';
import { boxDashboard } from './box-dashboard.js';

const box = boxDashboard([{ name: 'alpha', version: '1.0.0' }], 'alpha', 'bp-web-repo-gone-');

it('a Remove repository confirmed after the repository went says nothing to do, as bpkg repo remove', async () => {
  const page = (await box.get('/keys/repos/main/remove')).body;
  expect(page).toContain('Remove repository main?');
  const cli = await bpkg(box.root, ['repo', 'remove', 'main']);
  expect(cli.code, cli.stderr).toBe(0);
  const again = await bpkg(box.root, ['repo', 'remove', 'main']);
  expect(again.code).toBe(0);
  expect(again.stdout).toBe('repository main is not there, nothing to do\n');
  const r = await box.post('/keys/repos/main/remove', {});
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/keys\?notice=/);
  const shown = (await box.get(r.headers.location!)).body;
  expect(shown).toContain('repository main is not there, nothing to do');
  expect(shown).not.toContain('No repository named main');
});
