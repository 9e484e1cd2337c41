// TUI first full paint over SSH (issue 20): a real sshd on 127.0.0.1 configured by the drop-in
// `blueprint setup` wrote, a real admin account, `ssh -tt` in a tmux pane (a real terminal), and the
// login hook setup wrote starting `blueprint tui --login`, through the admins' password-less sudo
// as on a box (setup's sudoers is put in the host's /etc/sudoers.d for the run, when the host has
// sudo). Measured from the moment the login shell runs the hook (its .profile notes bash's
// $EPOCHREALTIME first; the hook's checks and sudo are in the figure) to the first screen that shows the dashboard with its data (the Exposure row,
// drawn once the host has been read), read from the pane's output stream (`tmux pipe-pane`) every
// 2 ms, so the figure may be late by one poll. A wrapper first on PATH notes when blueprint itself
// starts, its pid (for its CPU time) and its user (0: through sudo). Needs root (useradd, sshd) and
// tmux.
// Options: --runs N (default 7), --env NAME=VALUE (exported by the login's .profile; repeatable),
// --repo N (the box also uses a signed repository of N packages, one of them installed: the
// Dashboard counts updates from it; default 0, a box as setup leaves it).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, exe, figure, load, median, tmp } from './_lib.mjs';
import { repositoryBox } from './_pkg-box.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    env: { type: 'string', multiple: true },
    repo: { type: 'string', default: '0' },
  },
});
if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/sshd')) {
  console.log('scripts/bench/tui-ssh: needs root and /usr/sbin/sshd; skipped');
  process.exit(0);
}
ensureBuilt();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const repoPackages = Number(opts.repo) || 0;
const run = (cmd, ...a) => execFileSync(cmd, a).toString();
const tmux = (...a) => run('tmux', ...a);
const user = `bpb${process.pid.toString(36)}`;
/** Setup's sudoers for the admin, where the host's sudo reads it, for the run (none: no sudo here). */
const sudoersDropIn = existsSync('/usr/bin/sudo') ? `/etc/sudoers.d/bp-bench-${user}` : undefined;
const root = tmp('bp-bench-ssh-root-');
const work = tmp('bp-bench-ssh-work-');
const marks = path.join(work, 'started');
let sshd;

/** A login like the box's: account, key, `blueprint setup` (login hook, sshd drop-in), sshd. */
async function prepare() {
  chmodSync(root, 0o755);
  chmodSync(work, 0o755);
  const home = path.join(root, 'home', user);
  execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', '-G', 'sudo', user]);
  execFileSync('usermod', ['-p', '*', user]); // "*" as setup writes: "!" is locked, even for keys
  const uid = Number(run('id', '-u', user).trim());
  const gid = Number(run('id', '-g', user).trim());
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(
    path.join(root, 'etc/passwd'),
    `root:x:0:0:root:/root:/bin/bash\n${user}:x:${uid}:${gid}::/home/${user}:/bin/bash\n`,
  );
  writeFileSync(path.join(root, 'etc/group'), `root:x:0:\nsudo:x:27:\n${user}:x:${gid}:\n`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'id')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);
  const pub = readFileSync(path.join(work, 'id.pub'), 'utf8').trim();
  writeFileSync(
    path.join(work, 'answers.json'),
    JSON.stringify({ hostname: 'box-bench', admin: { name: user, keys: [pub] }, ssh: { enabled: true } }),
  );
  execFileSync(exe, ['--root', root, 'setup', '--answers', path.join(work, 'answers.json')], {
    stdio: 'ignore',
  });
  if (repoPackages > 0) repositoryBox(exe, root, work, repoPackages);
  if (sudoersDropIn)
    writeFileSync(sudoersDropIn, readFileSync(path.join(root, 'etc/sudoers.d/50-blueprint')), {
      mode: 0o440,
    });
  // The wrapper the login hook finds first on PATH: when the shell started blueprint, then blueprint.
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'blueprint'),
    `#!/bin/bash\necho "$EPOCHREALTIME $$ $EUID" >> ${marks}\nexec ${exe} "$@"\n`,
    { mode: 0o755 },
  );
  writeFileSync(marks, '');
  chmodSync(marks, 0o666);
  writeFileSync(
    path.join(home, '.profile'),
    `export PATH="${bin}:$PATH" BLUEPRINT_ROOT="${root}"${(opts.env ?? []).map((e) => ` '${e.replace(/'/g, `'\\''`)}'`).join('')}\necho "$EPOCHREALTIME hook" >> ${marks}\n. "${root}/etc/profile.d/blueprint-console.sh"\n`,
  );
  chownSync(path.join(home, '.profile'), uid, gid);
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  writeFileSync(
    path.join(work, 'sshd_config'),
    `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${path.join(work, 'hostkey')}\nPidFile ${path.join(work, 'sshd.pid')}\nInclude ${root}/etc/ssh/sshd_config.d/*.conf\n`,
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(work, 'sshd_config')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return port;
    if (i > 200) throw new Error('sshd did not listen');
    await sleep(50);
  }
}

/** One login: ms from the shell starting blueprint to the dashboard drawn, and from ssh's start. */
async function once(port, i) {
  const name = `bp-bench-ssh-${process.pid}-${i}`;
  const before = readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).length;
  const ssh = `ssh -tt -i ${work}/id -p ${port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes ${user}@127.0.0.1`;
  const t0 = Date.now();
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', `TERM=xterm-256color ${ssh}`);
  // The pane's output goes to a file (`pipe-pane`, attached long before the login ends), which this
  // process reads: polling with `tmux capture-pane` started a tmux client every 2 ms, CPU taken
  // from the 2 cores the console runs on. Escape sequences are dropped before matching.
  const out = path.join(work, `pane-${i}`);
  tmux('pipe-pane', '-t', name, '-o', `cat > ${out}`);
  try {
    for (let t = 0; ; t++) {
      let screen = '';
      try {
        screen = readFileSync(out, 'latin1').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      } catch {} // not there until cat starts
      if (/Exposure\s+firewall/.test(screen)) {
        const drawn = Date.now();
        const lines = readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).slice(before);
        const hook = lines.find((l) => l.endsWith(' hook'));
        const started = lines.find((l) => !l.endsWith(' hook'));
        if (!hook || !started) throw new Error('the login hook did not start blueprint through the wrapper');
        const [at] = hook.split(' ');
        const [startedAt, pid, uid] = started.split(' ');
        // CPU time (user + system, 10 ms ticks) of blueprint so far: on a loaded machine the wall
        // time is mostly the wait for a core.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
          .replace(/^.*\) /, '')
          .split(' ');
        const cpu = (Number(stat[11]) + Number(stat[12])) * 10;
        return {
          paint: Math.round(drawn - Number(at) * 1000),
          hookToStart: Math.round((Number(startedAt) - Number(at)) * 1000),
          asRoot: uid === '0',
          login: drawn - t0,
          cpu,
        };
      }
      if (t > 3000)
        throw new Error(`the dashboard was not drawn:\n${tmux('capture-pane', '-p', '-t', name)}`);
      await sleep(2);
    }
  } finally {
    tmux('send-keys', '-t', name, 'q');
    await sleep(300);
    try {
      execFileSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' });
    } catch {} // q ended the session already
  }
}

console.log(load());
const runs = [];
try {
  const port = await prepare();
  await once(port, 'warm'); // the first login also fills the page cache with the executable
  for (let i = 0; i < Number(opts.runs); i++) runs.push(await once(port, i));
} finally {
  sshd?.kill();
  if (sudoersDropIn) rmSync(sudoersDropIn, { force: true });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('userdel', [user], { stdio: 'ignore' });
      break;
    } catch {
      await sleep(100); // the session's processes end a moment after its pane is killed
    }
  }
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
const paint = median(runs.map((r) => r.paint));
console.log(
  `runs (login hook starts → dashboard drawn / of it, the hook and sudo before blueprint started / blueprint's CPU time then / from ssh's start): ${runs.map((r) => `${r.paint}/${r.hookToStart}/${r.cpu}/${r.login} ms`).join(', ')}; the console ran ${runs.every((r) => r.asRoot) ? 'as root through sudo, as on a box' : runs.some((r) => r.asRoot) ? 'as root in some runs only' : 'as the admin (no sudo here)'}`,
);
figure(
  `TUI first full paint over SSH (login hook starts → dashboard drawn${runs.every((r) => r.asRoot) ? ', through sudo' : ''})${repoPackages ? `, the box using a repository of ${repoPackages.toLocaleString('en')} packages` : ''}`,
  `${paint} ms (median of ${runs.length}; ${Math.min(...runs.map((r) => r.paint))}–${Math.max(...runs.map((r) => r.paint))}; hook and sudo ${median(runs.map((r) => r.hookToStart))} ms of it; CPU ${median(runs.map((r) => r.cpu))} ms; from ssh's start ${median(runs.map((r) => r.login))} ms)`,
  '≤ 300 ms',
  paint <= 300,
  { id: `tui.ssh-first-paint${repoPackages ? `.repo-${repoPackages}` : ''}`, n: paint, unit: ' ms' },
);
console.log(load());
