/**
 * The room promised to model uploads and imports is one account for every process of a box. The
 * dashboard's uploads once shared it in its process alone: a `blueprint model import` run at the
 * same moment did not see an upload's room (nor the dashboard a CLI's), so each alone fitted, both
 * passed the check, and together they could pass the 64 MiB reserve. Now the account is a file
 * under the box's state (var/lib/blueprint/model-room.json), each entry carrying its process's pid:
 * a killed holder's room is given back. A real box, its package cache on a 100 MiB tmpfs; the CLI
 * is the built executable, another process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Dashboard } from '../../src/web/index.js';
import { startDashboardExe } from '../helpers/dashboard-exe.js';
import { run, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { boxDashboard, logIn, startUpload } from './box-dashboard.js';
import { waitFor } from './dashboard-harness.js';

const MiB = 1024 ** 2;
const mountTmpfs = tmpfsPerFile();
const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-upload-room-proc-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

const cache = () => path.join(box.root, 'var/cache/blueprint');
const uploads = () => path.join(cache(), 'model-uploads');
const left = () => (existsSync(uploads()) ? readdirSync(uploads()) : []);
const sizes = () => left().map((f) => statSync(path.join(uploads(), f)).size);

/** An upload of `bytes` as the page's script sends it (this file's box, or `to`); the body is written by the caller. */
const start = (name: string, bytes: number, to?: { socket: string; cookie: string; csrf: string }) =>
  startUpload(to ?? { socket: box.dash.socket, cookie: box.cookie, csrf: box.csrf }, name, bytes);

/** The process's start time (/proc/PID/stat's 22nd field): what tells it from a later one of its pid. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** A file of `bytes` that starts as a GGUF does (refused once read: not a model). */
function fakeGguf(bytes: number): string {
  const file = path.join(tempDir('bp-upload-room-proc-'), 'model.gguf');
  const b = Buffer.alloc(bytes);
  b.write('GGUF');
  writeFileSync(file, b);
  return file;
}

it('a CLI import does not take the room of a dashboard upload in flight, and is taken once it ended', async () => {
  mkdirSync(cache(), { recursive: true });
  // 100 MiB: an upload of 8 MiB holds 24 MiB (its copy, the import's copy and package; the
  // installed files are on another disk) with the 64 MiB reserve; an import of 10 MiB needs 20.
  mountTmpfs(cache(), '100m');
  const file = fakeGguf(10 * MiB);
  const body = Buffer.alloc(8 * MiB, 1);
  const up = start('first', body.length);
  up.req.write(body.subarray(0, 64 * 1024));
  await waitFor('the upload being written', () => sizes().includes(64 * 1024));

  const refused = await run(['--root', box.root, 'model', 'import', file, '--name', 'other']);
  expect(refused.stderr).toMatch(/Not enough free space to import this model/);
  expect(refused.stderr).toContain('uploads in progress');
  expect(refused.code).not.toBe(0);
  // Refused before it wrote: the cache holds the upload alone.
  expect(readdirSync(cache()).sort()).toEqual(['model-uploads']);
  expect(sizes()).toEqual([64 * 1024]);

  // The upload aborted: its room is given back, and the import is not refused for room (it is
  // then refused as not a model, having been read).
  up.answer.catch(() => {});
  up.req.destroy();
  await waitFor('the aborted upload removed', () => left().length === 0);
  const taken = await run(['--root', box.root, 'model', 'import', file, '--name', 'other']);
  expect(taken.stderr).not.toMatch(/Not enough free space/);
  expect(taken.stderr).toMatch(/nothing was imported/);
}, 60_000);

it("a killed process's room is given back; a live one's is counted", async () => {
  mountTmpfs(cache(), '100m');
  // Another process holding 30 MiB of the cache's room (as an import in it would).
  const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(holder);
  const account = path.join(box.root, 'var/lib/blueprint/model-room.json');
  writeFileSync(
    account,
    JSON.stringify({
      held: [{ id: 'held-by-sleep', pid: holder.pid, start: startOf(holder.pid!), bytes: 30 * MiB }],
    }),
  );
  const body = Buffer.alloc(8 * MiB, 1);
  const first = start('first', body.length);
  first.req.end(body);
  const refused = await first.answer;
  expect(refused.status).toBe(413);
  expect(refused.body).toContain('uploads in progress');
  expect(left()).toEqual([]);

  const gone = new Promise((r) => holder.once('exit', r));
  holder.kill('SIGKILL');
  await gone;
  const second = start('second', body.length);
  second.req.end(body);
  const taken = await second.answer;
  expect(taken.status).toBe(303);
  expect(await box.jobEnd(String(taken.headers.location))).toContain('is not a GGUF');
  expect(left()).toEqual([]);
}, 60_000);

it('an entry of a live pid that is not the process that wrote it (the pid reused) is not counted', async () => {
  mountTmpfs(cache(), '100m');
  const other = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(other);
  // The entry names this live pid, but another process's start: its writer ended, the pid reused.
  const account = path.join(box.root, 'var/lib/blueprint/model-room.json');
  const gone = String(Number(startOf(other.pid!)) - 1);
  writeFileSync(
    account,
    JSON.stringify({ held: [{ id: 'held-by-gone', pid: other.pid, start: gone, bytes: 30 * MiB }] }),
  );
  const body = Buffer.alloc(8 * MiB, 1);
  const up = start('reused', body.length);
  up.req.end(body);
  const taken = await up.answer;
  expect(taken.status).toBe(303);
  expect(await box.jobEnd(String(taken.headers.location))).toContain('is not a GGUF');
  expect(left()).toEqual([]);
}, 60_000);

it('a dashboard killed mid-upload gives its room back: a CLI import refused while it lived is taken', async () => {
  mountTmpfs(cache(), '100m');
  // The dashboard as its own process, on the box's own run folder.
  const { child } = await startDashboardExe(box.root, children);
  const run_ = path.join(box.root, 'run/blueprint');
  const dash = { socket: path.join(run_, 'dashboard.sock'), tokenDir: path.join(run_, 'dashboard-login') };
  const session = await logIn(dash as Dashboard, '/packages');
  const body = Buffer.alloc(8 * MiB, 1);
  const up = start('held', body.length, { socket: dash.socket, ...session });
  up.answer.catch(() => {}); // its process killed: no answer
  up.req.write(body.subarray(0, 64 * 1024));
  await waitFor('the upload being written', () => sizes().includes(64 * 1024));
  const file = fakeGguf(10 * MiB);
  const refused = await run(['--root', box.root, 'model', 'import', file, '--name', 'other']);
  expect(refused.stderr).toMatch(/Not enough free space to import this model/);

  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
  const taken = await run(['--root', box.root, 'model', 'import', file, '--name', 'other']);
  expect(taken.stderr).not.toMatch(/Not enough free space/);
  expect(taken.stderr).toMatch(/nothing was imported/);
  up.req.destroy();
}, 60_000);
