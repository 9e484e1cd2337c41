// TUI resident memory (issue 20): dist/blueprint's console in a tmux pane (a real terminal), every
// screen visited in turn (1-6 and the help), then VmRSS and VmHWM of the process from
// /proc/PID/status, and again after --idle S seconds (default 30) left on the Dashboard, which
// reads the host every 2 s: both count. Options: --runs N (default 3), --env 'NODE_OPTIONS=...'; --node-flags '...' runs
// the bundle (dist/bundle) under the Node binary with those flags instead (for V8 flags that
// NODE_OPTIONS refuses). Before each run the executable's pages are dropped from the page cache
// (`dd iflag=nocache`), so it is read from disk as on a box after boot. The kernel maps cached
// neighbours of each page a process touches, how many depending on how the cache was filled: a
// freshly built executable, cached as it was written, showed 72-74 MiB of file-backed pages where
// the same build read back from disk showed 55-56. --as-written keeps the cache as it is.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, exe, figure, load, median, root as repo, tmp } from './_lib.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'as-written': { type: 'boolean' },
    env: { type: 'string', multiple: true },
    'node-flags': { type: 'string' },
    // Seconds left on the Dashboard (it reads the host every 2 s) before a second reading.
    idle: { type: 'string', default: '30' },
  },
});
ensureBuilt();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmux = (...a) => execFileSync('tmux', a).toString();
const kb = (pid, k) =>
  Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** Opens the console on an empty root, visits every screen, returns its memory in MiB. */
async function once(i) {
  const root = tmp('bp-bench-tui-');
  const name = `bp-bench-tui-${process.pid}-${i}`;
  const env = ['TERM=xterm-256color', ...(opts.env ?? [])].map((e) => `'${e.replace(/'/g, `'\\''`)}'`);
  const flags = opts['node-flags'];
  const file = flags === undefined ? exe : path.join(repo, 'node_modules/.bin/node');
  if (!opts['as-written'])
    execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
  const program =
    flags === undefined
      ? exe
      : `${path.join(repo, 'node_modules/.bin/node')} ${flags} ${path.join(exe, '../bundle/blueprint.mjs')}`;
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '120',
    '-y',
    '40',
    `env ${env.join(' ')} ${program} --root ${root} tui`,
  );
  try {
    const shell = Number(tmux('display-message', '-p', '-t', name, '#{pane_pid}').trim());
    let pid = shell;
    const screen = () => tmux('capture-pane', '-p', '-t', name);
    for (let t = 0; !/Dashboard/.test(screen()); t++) {
      if (t > 300) throw new Error(`the console did not start:\n${screen()}`);
      await sleep(100);
    }
    // env execs blueprint in the pane's process; a shell in between would show as its child.
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
    if (children) pid = Number(children.split(' ')[0]);
    const first = kb(pid, 'VmRSS') / 1024;
    for (const key of ['2', '3', '4', '5', '6', '?', 'Escape', '1']) {
      tmux('send-keys', '-t', name, key);
      await sleep(1500);
    }
    await sleep(2000);
    const after = {
      first,
      rss: kb(pid, 'VmRSS') / 1024,
      // File-backed pages are the executable's own code (shared, dropped under pressure); the
      // anonymous ones are V8's heaps, compiled code, WebAssembly and malloc.
      file: kb(pid, 'RssFile') / 1024,
      anon: kb(pid, 'RssAnon') / 1024,
    };
    // A console is left open: what it holds after a while of refreshing the Dashboard counts too.
    await sleep(Number(opts.idle) * 1000);
    return { ...after, idle: kb(pid, 'VmRSS') / 1024, peak: kb(pid, 'VmHWM') / 1024 };
  } finally {
    tmux('kill-session', '-t', name);
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(load());
const runs = [];
for (let i = 0; i < Number(opts.runs); i++) runs.push(await once(i));
const f = (x) => x.toFixed(0);
const rss = median(runs.map((r) => r.rss));
console.log(
  `runs: ${runs.map((r) => `dashboard ${f(r.first)} MiB, all screens ${f(r.rss)} MiB (anonymous ${f(r.anon)}, file ${f(r.file)}), ${opts.idle} s later ${f(r.idle)} MiB, peak ${f(r.peak)} MiB`).join('; ')}`,
);
const idle = median(runs.map((r) => r.idle));
figure(
  `TUI resident memory after visiting every screen${opts.env?.length ? ` (${opts.env.join(' ')})` : ''}`,
  `${f(rss)} MiB, ${f(idle)} MiB ${opts.idle} s later (median of ${runs.length}; first paint ${f(median(runs.map((r) => r.first)))} MiB, peak ${f(median(runs.map((r) => r.peak)))} MiB)`,
  '≤ 80 MiB',
  rss <= 80 && idle <= 80,
  {
    id: `tui.memory${opts.env?.length ? `.${opts.env.join('.')}` : ''}`,
    n: rss,
    judged: Math.max(rss, idle),
    unit: ' MiB',
  },
);
console.log(load());
