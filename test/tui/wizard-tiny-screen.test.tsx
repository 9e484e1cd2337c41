/**
 * The first-boot wizard on a tiny terminal (QA14's walk: a serial line at 40x12, TERM=dumb). A step
 * taller than the screen (the DNS step: its prompt, two notes and what the firewall lets out) was
 * squeezed by the layout: its lines were drawn over each other ('udp any address:53low out:'), the
 * step's title and half the prompt gone, and on the SSH step the footer under the keys line
 * ('Ctrl-C quitep'). The notes now give way (cut at the bottom); the title, prompt, answer line,
 * keys and the console's first and last rows stay whole.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import {
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  wizardToAdminKey,
} from './helpers.js';

const box = boxPerTest('tuitiny');

it('a step taller than a 40x12 screen keeps its title, prompt, answer and keys, lines not overlaid', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  consoleSize(app, 40, 12);
  await wizardToAdminKey(app, 'box-tiny');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  const ssh = await frameWith(app, 'Let SSH listen?');
  // The keys and the last row whole: the footer was squeezed under the keys ('Ctrl-C quitep').
  expect(ssh).toContain(' y yes  n no  Esc previous step');
  expect(ssh.split('\n').at(-1)).toBe('Esc back  Ctrl-C quit');
  await type(app, 'n');
  await frameWith(app, 'URL of the package');
  await type(app, '\x15', '\r');
  const start = app.frames.length;
  const dns = await frameWith(app, 'Step 7 of 11: DNS servers');
  const lines = dns.split('\n');
  expect(lines.length, dns).toBeLessThanOrEqual(12);
  expect(dns).toMatch(/^ DNS server addresses, separated by\s*$/m);
  expect(dns).toMatch(/^ > /m);
  expect(dns).toContain('Enter accept');
  expect(dns.split('\n').at(-1)).toBe('Esc back  Ctrl-C quit');
  // No row drawn over another: every row is one the step wrote whole.
  expect(dns).not.toMatch(/:53\S/);
  expectFits(app.frames.slice(start), 40, 12);
  app.unmount();
});
