// The first-boot wizard on the serial console, answered as a person would (host name, time zone,
// the admin and their SSH key, SSH on, the network steps as offered, no modules), shared by the
// x86-64 boot test and the arm64 one (issue 22).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Guest } from './qemu.js';

const ENTER = '\r';
const CTRL_U = '\x15';
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Walks the wizard from its first step (already on the console) to the applied setup; `key` is the
 * admin's private key file (its .pub is pasted). The summary must name the key and SSH on.
 */
export async function answerWizard(guest: Guest, opts: { hostname: string; key: string }): Promise<void> {
  let pos = 0;

  /**
   * Waits for a wizard step, then answers it. Text is typed over the step's default (Ctrl-U) and
   * sent only once the screen shows it back, so nothing typed before the wizard reads its terminal
   * is lost silently. Returns the console position after the step's prompt.
   */
  async function answer(prompt: RegExp, from: number, text?: string, key = ENTER): Promise<number> {
    const at = await guest.waitFor(prompt, 180_000, from);
    await pause(1500);
    if (text !== undefined) {
      await guest.type(CTRL_U + text);
      // Drawn by the wizard after its ">" prompt (a terminal's own echo would not have it); long
      // values wrap, at a space (the key's "ssh-ed25519 AAAA…" shows as ">ssh-ed25519", then the
      // rest on the next line) or anywhere: spaces match any run of blanks, the end on its own.
      const shown = (part: string) => literal(part).replace(/ +/g, '\\s+');
      if (text) await guest.waitFor(new RegExp(`>\\s*${shown(text.slice(0, 12))}`), 60_000, at);
      if (text) await guest.waitFor(new RegExp(shown(text.slice(-8))), 60_000, at);
    }
    // A key lost on the emulated UART leaves the screen as it was: any answer redraws it.
    for (let tries = 0; tries < 3; tries++) {
      const mark = guest.console.length;
      await guest.type(key);
      try {
        await guest.waitFor(/Step \d+ of|Summary|Applying|Checking/, 30_000, mark);
        break;
      } catch {}
    }
    return at;
  }

  pos = await answer(/Name of this box on the network/, 0, opts.hostname);
  pos = await answer(/IANA time zone/, pos, 'UTC');
  pos = await answer(/User name of the administrator/, pos, 'admin');
  pos = await answer(/Paste admin's SSH public key/, pos, readFileSync(`${opts.key}.pub`, 'utf8').trim());
  // A yes/no step draws the typed answer after "y / n: ". Typed while the previous step is still
  // checking the key, it is lost: type it again until the screen shows it, then Enter. (No Ctrl-U
  // first: a yes/no step takes only y or n.)
  const yes = async (question: RegExp) => {
    const at = await guest.waitFor(question, 180_000, pos);
    for (let i = 0; i < 8 && !/y \/ n: y/.test(guest.console.slice(at)); i++) {
      await pause(2000);
      await guest.type('y');
    }
    pos = await answer(question, pos);
  };
  await yes(/Let SSH listen\?/);
  pos = await answer(/URL of the package repository/, pos, '');
  // The network steps: DNS from DHCP (so no DNS-over-TLS step), the default time servers and
  // unattended upgrades as offered.
  pos = await answer(/DNS server addresses/, pos, '');
  pos = await answer(/NTP servers/, pos);
  await yes(/Install Debian security updates automatically\?/);
  pos = await answer(/GPU check/, pos);
  // The modules step, when offered, is left empty.
  const next = await guest.waitFor(/Modules to install|Apply these changes\?/, 180_000, pos);
  if (/Modules to install/.test(guest.console.slice(pos, next)))
    pos = await answer(/Modules to install/, pos, '');
  const summary = await guest.waitFor(/Apply these changes\?/, 180_000, pos);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${opts.key}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1];
  expect(guest.console.slice(pos, summary)).toContain(`key ${fingerprint}; SSH on`);
  pos = await answer(/Apply these changes\?/, pos, undefined, 'y');
  // Setup writes the marker last; the console then closes the wizard for the login prompt.
  await guest.waitFor(/change\(s\) written|login:/, 300_000, pos);
  await guest.type(ENTER); // closes the wizard's last screen, if it is still open
}
