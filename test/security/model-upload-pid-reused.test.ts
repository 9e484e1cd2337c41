/**
 * A dashboard's upload left by an earlier dashboard of the same pid. Each upload is named by its
 * process's pid (`PID-UUID.gguf`), and the next upload removes the ones whose pid is dead. But a box
 * that lost power mid-upload boots the same services in the same order, so the next dashboard
 * often gets the very pid of the one that died: its partial upload (gigabytes) was judged alive
 * and kept for good, counted against every later upload's and import's free space; so was one whose
 * pid another program got (any live pid kept it). Now a file of this process's own pid that this
 * process is not receiving is an earlier one's, and one of another pid is kept only while its
 * process holds the room for it (var/lib/blueprint/model-room.json: an entry of that pid and start
 * time owning the file, written before the file is made): removed otherwise. One this process is
 * receiving (a second upload at the same time) and another live dashboard's stay.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { receiveUpload, uploadDir } from '../../src/app/model-upload.js';
import { layout } from '../../src/core/system/paths.js';
import { appOps } from '../../src/web/app-ops.js';
import { startDashboard } from '../../src/web/index.js';
import { tempDir } from '../helpers/pkg.js';
import { waitFor } from '../web/dashboard-harness.js';

/** The process's start time (/proc/PID/stat's 22nd field), as the account records it. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

const body = async function* (parts: Buffer[], wait?: Promise<void>) {
  for (const p of parts) {
    yield p;
    if (wait) await wait;
  }
};

it("removes an upload whose pid is now this process's or another program's, and keeps this process's own and a live dashboard's", async () => {
  const paths = layout(tempDir('bp-upload-pid-'));
  const dir = uploadDir(paths);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Left by a dashboard that had this pid before a power cut.
  const earlier = path.join(dir, `${process.pid}-${randomUUID()}.gguf`);
  writeFileSync(earlier, Buffer.alloc(4096, 7), { mode: 0o600 });
  // Another live process's upload in flight (the test runner's parent as that dashboard): its
  // entry in the room's account, as its promise wrote it before making the file.
  const live = path.join(dir, `${process.ppid}-${randomUUID()}.gguf`);
  writeFileSync(live, 'x', { mode: 0o600 });
  mkdirSync(paths.stateDir, { recursive: true });
  // That dashboard names the root through a link to it: the same file, spelled otherwise.
  const link = `${paths.root}-link`;
  symlinkSync(paths.root, link);
  const owner = path.join(link, path.relative(paths.root, live));
  const held = [{ id: randomUUID(), pid: process.ppid, start: startOf(process.ppid), bytes: 3, owner }];
  writeFileSync(path.join(paths.stateDir, 'model-room.json'), JSON.stringify({ held }), { mode: 0o600 });
  // A dead dashboard's whose pid a live program has now (the same parent: any live pid): no room held.
  const reused = path.join(dir, `${process.ppid}-${randomUUID()}.gguf`);
  writeFileSync(reused, Buffer.alloc(4096, 7), { mode: 0o600 });

  // An upload of this process in flight: its file stays while the next one is received.
  let go!: () => void;
  const waiting = new Promise<void>((r) => {
    go = r;
  });
  const first = receiveUpload(paths, body([Buffer.from('a'), Buffer.from('b')], waiting), 2);
  const firstFile = async () => {
    for (;;) {
      const { readdirSync } = await import('node:fs');
      const mine = readdirSync(dir).filter(
        (n) => n.startsWith(`${process.pid}-`) && path.join(dir, n) !== earlier,
      );
      if (mine.length) return path.join(dir, mine[0]!);
      await new Promise((r) => setImmediate(r));
    }
  };
  const inFlight = await firstFile();

  const second = await receiveUpload(paths, body([Buffer.from('c')]), 1);
  expect(existsSync(earlier)).toBe(false);
  expect(existsSync(reused)).toBe(false);
  expect(existsSync(inFlight)).toBe(true);
  expect(existsSync(live)).toBe(true);
  expect(existsSync(second.file)).toBe(true);

  go();
  const done = await first;
  expect(done.file).toBe(inFlight);
  await done.discard();
  await second.discard();
  expect(existsSync(inFlight)).toBe(false);
  expect(existsSync(live)).toBe(true);
  unlinkSync(link);
});

it('a dashboard removes at its start the uploads an earlier dashboard left, without waiting for an upload', async () => {
  // A dashboard killed without a reboot (out of memory, SIGKILL; systemd starts it again): its
  // partial upload was removed only by the next dashboard upload, so an admin who then imports with
  // the CLI kept its gigabytes in the package cache.
  const root = tempDir('bp-upload-start-');
  const paths = layout(root);
  const dir = uploadDir(paths);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const gone = spawnSync('true').pid!; // a pid no process has now
  const left = [`${gone}-${randomUUID()}.gguf`, `${process.pid}-${randomUUID()}.gguf`].map((n) =>
    path.join(dir, n),
  );
  for (const f of left) writeFileSync(f, Buffer.alloc(4096, 7), { mode: 0o600 });
  const other = path.join(dir, 'notes.txt'); // not an upload's name: not judged
  writeFileSync(other, 'x');
  const dash = await startDashboard({
    runDir: path.join(tempDir('bp-upload-start-run-'), 'run/blueprint'),
    ops: appOps(root),
  });
  try {
    await waitFor('the earlier uploads removed', () => left.every((f) => !existsSync(f)));
    expect(existsSync(other)).toBe(true);
  } finally {
    await dash.close();
  }
});
