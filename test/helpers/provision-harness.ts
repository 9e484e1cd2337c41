import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { standInDev } from './mount-namespace.js';

/**
 * What the tests of the image's provisioning (test/security/provision-*) share: they run the real
 * provision-from-disk script, and the real ExecStart of the units after it, in a private mount
 * namespace (test/helpers/mount-namespace.ts), with stand-in commands on PATH.
 */
export const overlay = new URL('../../image/overlay/', import.meta.url).pathname;
export const provisionScript = `${overlay}usr/local/lib/blueprint/provision-from-disk`;

/** The ExecStart line of one of the image's units (the console wizard's unless named). */
export async function unitExecStart(unit = 'blueprint-setup@.service'): Promise<string> {
  const text = await readFile(path.join(overlay, 'etc/systemd/system', unit), 'utf8').catch(() => '');
  return /^ExecStart=(.*)$/m.exec(text)?.[1] ?? '';
}

/** Writes each stand-in as an executable `#!/bin/sh` script in `dir`, made first. */
export async function writeStandIns(dir: string, tools: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(dir, name), 0o755);
  }
}

/**
 * A `mount` stand-in that binds `work`/stick read-only where the script mounts the stick (its last
 * argument). `record`: shell run first, e.g. to log the arguments.
 */
export function stickMount(work: string, record = ''): string {
  return `${record}eval "dest=\\\${$#}"; /usr/bin/mount --bind -o ro "${work}/stick" "$dest"`;
}

/**
 * A work folder as the provisioning tests start from: `stick/` (with an answers.json unless
 * `answers` is false), `fakebin/` holding the stand-ins, and `blueprint`, the stand-in for the
 * executable with `blueprint` as its body. Returns the fakebin folder.
 */
export async function provisionWork(
  work: string,
  o: { tools: Record<string, string>; blueprint: string; answers?: boolean },
): Promise<string> {
  const fake = path.join(work, 'fakebin');
  await mkdir(path.join(work, 'stick'));
  if (o.answers !== false) await writeFile(path.join(work, 'stick/answers.json'), '{"hostname":"box"}\n');
  await writeStandIns(fake, o.tools);
  await writeFile(path.join(work, 'blueprint'), `#!/bin/sh\n${o.blueprint}\n`);
  await chmod(path.join(work, 'blueprint'), 0o755);
  return fake;
}

/**
 * Shell lines giving the namespace the image's /run, /var/lib and /usr/local: empty tmpfs, the
 * image's lib/blueprint bound read-only, the `blueprint` stand-in in /usr/local/bin.
 */
export function imageMounts(work: string): string[] {
  return [
    'mount -t tmpfs run /run',
    'mount -t tmpfs lib /var/lib',
    'mount -t tmpfs local /usr/local',
    'mkdir -p /usr/local/bin /usr/local/lib/blueprint',
    `mount --bind -o ro ${overlay}usr/local/lib/blueprint /usr/local/lib/blueprint`,
    `cp ${work}/blueprint /usr/local/bin/blueprint`,
  ];
}

/** Runs the shell lines in a private mount namespace (`unshare -m`). */
export function inMountNamespace(lines: string[], timeout = 30_000) {
  return spawnSync('unshare', ['-m', 'sh', '-c', lines.join('\n')], { encoding: 'utf8', timeout });
}

/** Reads what the harness left in `work` ('' for a file it did not make). */
export function workFiles(work: string): (name: string) => Promise<string> {
  return (name) => readFile(path.join(work, name), 'utf8').catch(() => '');
}

/** What one boot left: the lines the stand-ins wrote to work/calls, the provisioning's exit status, its output (the journal), tty1 after it (the screen) and the wizard unit's output. */
export interface BootRun {
  calls: string[];
  /** -1 when `provision` was a command line of the test's own. */
  rc: number;
  journal: string;
  screen: string;
  tty: string;
}

/**
 * One boot in a private mount namespace: the stand-in /dev (the FAT stick unless `stick` is false)
 * and `devLines` after it, the image's mounts, the provisioning script with `fake` first on PATH
 * (or `provision`, a command line of the test's own), then tty1's wizard unit as systemd starts it
 * once the provisioning is over (After=).
 */
export async function bootOnce(
  work: string,
  fake: string,
  o: { stick?: boolean; devLines?: string[]; provision?: string } = {},
): Promise<BootRun> {
  const r = inMountNamespace([
    'set -e',
    ...(await standInDev(work, { stick: o.stick })),
    ...(o.devLines ?? []),
    ...imageMounts(work),
    'set +e',
    o.provision ?? `PATH="${fake}:$PATH" sh ${provisionScript} >>${work}/journal 2>&1; echo $? >${work}/rc`,
    `cp /dev/tty1 ${work}/screen`,
    `cd / && PATH="${fake}:/usr/sbin:/usr/bin:/sbin:/bin" TERM=linux HOME=/root ${await unitExecStart()} </dev/null >${work}/tty 2>&1`,
    'exit 0',
  ]);
  if (r.status !== 0) throw new Error(`the boot harness failed (${r.status}): ${r.stderr}`);
  const read = workFiles(work);
  const rc = (await read('rc')).trim();
  return {
    calls: (await read('calls')).split('\n').filter(Boolean),
    rc: rc === '' ? -1 : Number(rc),
    journal: await read('journal'),
    screen: await read('screen'),
    tty: await read('tty'),
  };
}
