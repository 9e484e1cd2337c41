import { randomBytes } from 'node:crypto';
/**
 * A module whose service registration is incomplete. The registration file
 * (var/lib/blueprint/services/NAME/VERSION.json, written at install) cut short or missing its
 * service section made `service inspect` (and status, start, list) fail with the JavaScript error
 * itself ('Unterminated string in JSON', "Cannot read properties of undefined (reading 'gpu')")
 * called "a bug in blueprint". They now name the damaged file and the fix (install it again), as
 * a typed error (exit 7); the watcher reports it as the module's error and goes on watching the
 * others; package operations (the reinstall that fixes it) leave it out of their lists and go on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markImageJudged } from '../../src/core/services/image-annotations.js';
import { runCliHere } from '../helpers/cli-here.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';

// Its own name: the engine's container names are shared, and a blueprint-hello of another box (the
// demo's, after `npm start` and `pkg install hello`) made `service start hello` here fail otherwise.
const N = `bpt-insp-${randomBytes(3).toString('hex')}`;

async function box(damage?: (text: string) => string): Promise<string> {
  const root = tokenRoot('bp-inspect-incomplete-');
  await register(root, N, consumerSpec('/run/hello'));
  await register(root, 'other', consumerSpec('/run/other'));
  if (damage) {
    const f = path.join(root, `var/lib/blueprint/services/${N}/1.0.0.json`);
    writeFileSync(f, damage(readFileSync(f, 'utf8')));
  }
  return root;
}

const without = (key: string) => (t: string) => {
  const j = JSON.parse(t);
  delete j[key];
  return JSON.stringify(j);
};

describe('a damaged service registration', () => {
  it.each([
    ['cut short', (t: string) => t.slice(0, 40)],
    ['without its service section', without('spec')],
    ['without its image', without('imageId')],
    ['not an object', () => 'null'],
  ])('%s: inspect, status and start name the file and the fix (exit 7), no "bug"', async (_, damage) => {
    const root = await box(damage);
    for (const cmd of ['inspect', 'status', 'start']) {
      const r = await runCliHere(['--root', root, 'service', cmd, N]);
      expect(r.code, `${cmd}: ${r.err}`).toBe(7);
      expect(r.err).toContain(
        `error: The service registration of ${N} is damaged (${root}/var/lib/blueprint/services/${N}/1.0.0.json`,
      );
      expect(r.err).toContain(
        `hint: Install the module again: \`bpkg --root ${root} install ${N} --reinstall\``,
      );
      expect(r.err).not.toMatch(/bug in blueprint/);
    }
    const json = await runCliHere(['--root', root, '--json', 'service', 'inspect', N]);
    expect(JSON.parse(json.out).error.code).toBe('registration-damaged');
  });

  it('service list says which one, and the watcher goes on watching the others', async () => {
    const root = await box((t) => t.slice(0, 40));
    const list = await runCliHere(['--root', root, 'service', 'list']);
    // The others listed, a row for it, and what is wrong below the table (service-list-damaged).
    expect(list.code).toBe(7);
    expect(list.out).toContain(`The service registration of ${N} is damaged`);
    expect(list.out + list.err).not.toMatch(/bug in blueprint/);
    const stop = setTimeout(() => process.emit('SIGINT', 'SIGINT'), 300);
    const w = await runCliHere(['--root', root, 'service', 'watch']).finally(() => clearTimeout(stop));
    expect(w.code, w.err).toBe(0);
    expect(w.out).toMatch(new RegExp(`${N}: .*registration of ${N} is damaged`));
  });
});

describe('a registration whose image is gone from the engine', () => {
  it('inspect says the image is missing and how to get it back; start fails saying the same', async () => {
    const root = await box();
    const r = await runCliHere(['--root', root, 'service', 'inspect', N]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/image sha256:a{12}\S* is not in the container engine/);
    // The commands it names carry the --root typed (it said `bpkg install hello --reinstall`,
    // acting on /), and 'Not running: start it' now names the command (the demo walk).
    expect(r.out).toContain(`\`bpkg --root ${root} install ${N} --reinstall\``);
    expect(r.out).toContain(`Not running: \`blueprint --root ${root} service start ${N}\``);
    const json = await runCliHere(['--root', root, '--json', 'service', 'inspect', N]);
    expect(JSON.parse(json.out).image).toMatchObject({ id: `sha256:${'a'.repeat(64)}`, present: false });
    const s = await runCliHere(['--root', root, 'service', 'start', N]);
    expect(s.code, s.err).toBe(3);
    expect(s.err).toMatch(
      new RegExp(`error: ${N} cannot start: its image sha256:a{12}\\S* is not in the container engine`),
    );
    expect(s.err).toContain(
      `hint: Install the module again: \`bpkg --root ${root} install ${N} --reinstall\``,
    );
  });
});

describe('an image judged at an earlier start and removed since', () => {
  it('start fails saying the image is missing (the create failed), not sent to doctor', async () => {
    const root = await box();
    markImageJudged(root, `sha256:${'a'.repeat(64)}`);
    const s = await runCliHere(['--root', root, 'service', 'start', N]);
    expect(s.code, s.err).toBe(3);
    expect(s.err).toMatch(
      new RegExp(`error: ${N} cannot start: its image sha256:a{12}\\S* is not in the container engine`),
    );
    expect(s.err).not.toContain('blueprint doctor');
  });
});
