/**
 * The console's first-boot wizard ended before the box was set up (QA18's left item): Ctrl-C at a
 * step (exit 0, as `q`), Esc at the first step, a stopped apply. blueprint-setup@ (a oneshot, so
 * systemd refuses Restart=always) then ended and the getty took the console: a login prompt that
 * takes nobody (root locked, no admin yet) until the next boot. The image's own script
 * (image/overlay/usr/local/lib/blueprint/setup-console) now offers the wizard again at a person's
 * Enter; once the box is set up it ends with the wizard's status; a console that reads nothing ends
 * it at once (no restart loop). Run here with the real executable in tmux, its paths pointed at a
 * temp root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('setup-console-again');
const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

const AGAIN = 'Press Enter to start setup again.';

/** The image's script, its paths in the temp root: the wizard is the real executable on it. */
function script(): string {
  const text = readFileSync(
    new URL('../../image/overlay/usr/local/lib/blueprint/setup-console', import.meta.url),
    'utf8',
  )
    .replaceAll('/usr/local/bin/blueprint setup', `${exe} --root ${t.root} setup`)
    .replaceAll('/var/lib/blueprint/setup-done', path.join(t.root, 'var/lib/blueprint/setup-done'))
    .replaceAll('/run/blueprint/provision-tried', path.join(t.work, 'provision-tried'));
  const file = path.join(t.work, 'setup-console');
  writeFileSync(file, text);
  return file;
}

it('Ctrl-C or Esc before the box is set up: the console offers the wizard again, never a dead end', async () => {
  requireExe();
  const p = new Pane(['sh', script()], { width: 80, height: 24, env: { TERM: 'vt220' } });
  panes.push(p);
  await p.waitFor('Step 1 of');
  p.keys('C-c');
  await p.waitFor(AGAIN);
  expect(p.screen()).toContain('this console');
  expect(p.screen()).not.toContain('EXIT=');
  // Ctrl-C at the prompt does not end it either.
  p.keys('C-c');
  p.keys('Enter');
  await p.waitFor('Step 1 of');
  p.keys('Escape');
  await p.waitFor(AGAIN);
  expect(p.screen()).not.toContain('EXIT=');
});

it('once the box is set up (here, by the other console) it ends with the wizard’s status', async () => {
  requireExe();
  const p = new Pane(['sh', script()], { width: 80, height: 24, env: { TERM: 'vt220' } });
  panes.push(p);
  await p.waitFor('Step 1 of');
  // The other console's setup, as `setup --answers` writes it.
  execFileSync('mkdir', ['-p', path.join(t.root, 'var/lib/blueprint')]);
  writeFileSync(path.join(t.root, 'var/lib/blueprint/setup-done'), 'set up\n');
  p.keys('C-c');
  await p.waitFor('EXIT=0');
  expect(p.screen()).not.toContain(AGAIN);
});

it('set up by the other console while the prompt waits: Enter ends it, no wizard on a set-up box', async () => {
  requireExe();
  const p = new Pane(['sh', script()], { width: 80, height: 24, env: { TERM: 'vt220' } });
  panes.push(p);
  await p.waitFor('Step 1 of');
  p.keys('C-c');
  await p.waitFor(AGAIN);
  // The other console's setup finished meanwhile (its stop of this unit comes 3 s later).
  execFileSync('mkdir', ['-p', path.join(t.root, 'var/lib/blueprint')]);
  writeFileSync(path.join(t.root, 'var/lib/blueprint/setup-done'), 'set up\n');
  p.keys('Enter');
  await p.waitFor('EXIT=0');
  expect(p.screen()).not.toContain('This box is set up already');
});

it('a console that reads nothing ends it at once: the wizard ran once, no loop', () => {
  requireExe();
  const r = spawnSync('sh', [script()], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.error).toBeUndefined();
  expect(r.status).not.toBe(0); // the wizard's refusal (no terminal), passed on
  expect(r.stdout.split(AGAIN).length - 1).toBe(1);
});

it.each([
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)(
  '%s to the unit (its stop, a hangup) ends the script by that signal, not at the prompt',
  async (signal, status) => {
    requireExe();
    // Its own session, as under systemd: the signal goes to the script and the wizard together. Its
    // status goes to a file (the killed wizard's last frame may hide what is echoed after it).
    const file = script();
    const out = path.join(t.work, 'status');
    const p = new Pane(['sh', '-c', `setsid -w sh ${file}; echo "$?" > ${out}`], {
      width: 80,
      height: 24,
      env: { TERM: 'vt220' },
    });
    panes.push(p);
    await p.waitFor('Step 1 of');
    const pid = execFileSync('pgrep', ['-f', `^sh ${file}$`], { encoding: 'utf8' }).trim();
    process.kill(-Number(pid), signal);
    for (let i = 0; i < 400 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readFileSync(out, 'utf8').trim()).toBe(String(status));
    expect(p.screen()).not.toContain(AGAIN);
  },
);

it('a noisy serial line (a floating RX) does not restart the wizard at the prompt: Enter alone does', () => {
  requireExe();
  // Lines of noise, as a line with nothing on its other end sends: each restarted the wizard (here
  // it refuses at once, stdin being no terminal, and the prompt comes back: counted).
  const run = (input: string) =>
    spawnSync('sh', [script()], { input, encoding: 'utf8', timeout: 60_000 }).stdout.split(AGAIN).length - 1;
  expect(run('\u00ff\u00fe~x\n#$%&\nq\n \n')).toBe(1);
  // Enter alone (a carriage return too): the wizard again, once each.
  expect(run('noise\n\n\r\n')).toBe(3);
});
