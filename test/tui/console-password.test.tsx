/**
 * The wizard with SSH off asks the admin's console password (QA18): typed twice, never shown, kept
 * only as a SHA-512-crypt hash in the admin's shadow line, and the last screen says where to log in
 * with it. Before, SSH off (the step's default) set up a box nobody could ever log in to.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import {
  answerRepositoryToGpu,
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  wizardToAdminKey,
} from './helpers.js';

const box = boxPerTest('tuiconsolepw');

it('asks the console password twice, unseen, refuses a mismatch, and writes only its hash', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToAdminKey(app, 'box-pw');
  // The key is asked before SSH is: the step says why it is worth giving with SSH off too (WIZ2).
  const keyStep = (await frameWith(app, 'SSH public key')).replace(/\s+/g, ' ');
  expect(keyStep).toContain('Kept whether or not SSH listens (next step, off by default)');
  expect(keyStep).toContain('`blueprint apply` turns SSH on');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  await frameWith(app, 'Let SSH listen?');
  await type(app, 'n');
  const first = await frameWith(app, 'Console password for admin');
  expect(first).toContain('logs in with it on the screen (Alt-F2) and the serial line');
  await type(app, '12345678', '\r');
  await frameWith(app, 'too easy to guess');
  await type(app, '\x15', 'Correct-Horse-9');
  expect(app.lastFrame()).not.toContain('Correct-Horse-9');
  await type(app, '\r');
  await frameWith(app, 'The same console password again');
  await type(app, 'Correct-Horse-8', '\r');
  await frameWith(app, 'the two passwords differ');
  await type(app, '\x15', 'Correct-Horse-9', '\r');
  await answerRepositoryToGpu(app);
  await frameWith(app, 'Modules to install');
  await type(app, '\r');
  // The summary never shows the password.
  const summary = await frameWith(app, 'Apply these changes?');
  expect(summary).not.toContain('Correct-Horse-9');
  // Its header says SSH is off and the console password set (the admin's way in), whole on the
  // image's 80x24 console: not cut at the edge behind the key's fingerprint.
  consoleSize(app, 80, 24);
  const at80 = await frameWith(app, /^\s*SSH off, console password set\s*$/m);
  expectFits([at80], 80, 24);
  await type(app, 'y');
  const done = await frameWith(app, 'Done.');
  expect(done.replace(/\s+/g, ' ')).toContain(
    'SSH is off: admin logs in on the console or the serial line with the console password.',
  );
  app.unmount();
  const shadow = readFileSync(box.at('etc/shadow'), 'utf8');
  expect(shadow).not.toContain('Correct-Horse-9');
  const hash = shadow
    .split('\n')
    .find((l) => l.startsWith('admin:'))!
    .split(':')[1]!;
  // As many rounds as the image's login.defs asks of every password (SHA_CRYPT_MIN_ROUNDS in
  // image/configure.sh): OpenSSL's default, 5,000, is a hundredth of that.
  expect(hash).toMatch(/^\$6\$rounds=500000\$[./0-9A-Za-z]{16}\$/);
  // pam_unix's check is glibc's crypt(3) (Perl's crypt calls it): the password with the hash as
  // its setting gives the hash.
  const again = execFileSync('perl', ['-e', 'print crypt(<STDIN>, $ARGV[0])', hash], {
    input: 'Correct-Horse-9',
  });
  expect(again.toString()).toBe(hash);
});
