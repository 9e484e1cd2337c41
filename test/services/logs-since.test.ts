/**
 * `blueprint service logs NAME --since/--until WHEN` against the real engine (the Podman API's logs
 * endpoint takes the window), as `docker logs --since/--until`: a time, a Unix timestamp, a
 * duration ago; --tail counts the last N in the window (the engine counts them before the window:
 * with --until they are counted here); --since with --follow prints from then on, then new lines;
 * --until with --follow ends following at that time. The same lines with the engine down are in
 * logs-kept.test.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpOverSocket } from '../../src/core/services/lifecycle.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { blueprintExe, run } from '../helpers/pkg.js';
import { buildHello, cli, makeBox, type TestBox, uniqueName } from './helpers.js';

let box: TestBox;
const name = uniqueName('bpt-since');
const poke = (p: string) => httpOverSocket(path.join(serviceDirs(box.root, name).socketDir, 'hello.sock'), p);
/** The /mark-* requests the service logged, in order, for `service logs NAME ARGS` (--json). */
const marks = async (...args: string[]) => {
  const r = await cli(box.root, ['service', 'logs', name, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (r.json.lines as { time: string; line: string }[])
    .map((l) => /request GET \/(mark-\w+)/.exec(l.line)?.[1])
    .filter(Boolean);
};
/** `blueprint --root BOX service logs NAME ARGS`'s arguments. */
const logsArgs = (...args: string[]) => ['--root', box.root, 'service', 'logs', name, ...args];
/** Between the first and the second marks: the engine's times and ours differ by nothing here. */
let between: number;

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(name);
  expect((await cli(box.root, ['service', 'start', name])).code).toBe(0);
  await poke('/mark-a');
  await sleep(1200);
  between = Date.now();
  await sleep(1200);
  await poke('/mark-b');
  await poke('/mark-c');
});
afterAll(async () => {
  await box?.cleanup();
});

describe('service logs --since/--until (real engine)', () => {
  it('--since and --until: a time, a Unix timestamp, a duration ago', async () => {
    const iso = new Date(between).toISOString();
    expect(await marks('--since', iso)).toEqual(['mark-b', 'mark-c']);
    expect(await marks('--since', String(between / 1000))).toEqual(['mark-b', 'mark-c']);
    expect(await marks('--until', iso)).toEqual(['mark-a']);
    expect(await marks('--since', '1h')).toEqual(['mark-a', 'mark-b', 'mark-c']);
    expect(await marks('--since', '1h', '--until', iso)).toEqual(['mark-a']);
    // Local time, no zone: the same instant written as the box's clock shows it.
    const d = new Date(between);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    expect(await marks('--since', local)).toEqual(['mark-b', 'mark-c']);
  });

  it('--tail N is the last N lines of the window (with --until too), text and --json alike', async () => {
    const iso = new Date(between).toISOString();
    expect(await marks('--since', iso, '--tail', '1')).toEqual(['mark-c']);
    const last = await cli(box.root, ['service', 'logs', name, '--until', iso, '--tail', '1']);
    expect((last.json.lines as { line: string }[]).map((l) => l.line)).toEqual([
      expect.stringContaining('request GET /mark-a'),
    ]);
    const text = await run(logsArgs('--until', iso, '-n', '1', '--no-timestamps'));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^hello: request GET \/mark-a [^\n]*\n$/);
    expect(await marks('--until', iso, '--tail', '0')).toEqual([]);
  });

  it('--follow --since: the lines from then on, then new ones; --follow --until ends at that time', async () => {
    const child = spawn(blueprintExe, logsArgs('-f', '--since', new Date(between).toISOString()));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !out.includes(text); i++) await sleep(50);
      expect(out).toContain(text);
    };
    await waitFor('/mark-c');
    await poke('/mark-d');
    await waitFor('/mark-d');
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
    expect(out).not.toContain('/mark-a');

    // Until 2 s from now: it prints what comes meanwhile, then ends by itself, exit 0.
    const started = Date.now();
    const until = new Date(started + 2000).toISOString();
    const ending = run(logsArgs('-f', '--since', '1s', '--until', until));
    await sleep(700);
    await poke('/mark-e');
    const r = await ending;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('/mark-e');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeLessThan(15_000);
    // A time already past: what was up to it, and no following.
    const past = await run(logsArgs('-f', '--until', new Date(between).toISOString()));
    expect(past.code, past.stderr).toBe(0);
    expect(past.stdout).toContain('/mark-a');
    expect(past.stdout).not.toContain('/mark-b');
  });

  it('a WHEN it cannot read: exit 2, the forms named, before the engine is asked', async () => {
    const r = await run(logsArgs('--since', '10 minutes'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--since '10 minutes' is not a time: WHEN is a duration ago \(10m/);
  });
});
