import path from 'node:path';
import { VerificationError } from '../errors.js';
import { otherWriter } from './folder-writers.js';
import { layout, managedDirs } from './paths.js';
import { shellWord } from './shell-word.js';

/**
 * The contract of `--root TREE` for the commands that read a tree's package database or change it
 * (every command but `status`, `system status`, `gpu` and those that never read a box), as git's
 * "dubious ownership": they act only on a tree that no user but root (or the one running them) can change.
 * Judged: each folder of its state (etc/blueprint, var/lib/blueprint, var/cache/blueprint,
 * opt/blueprint, run/blueprint and those below them that the package manager writes), every folder
 * on the way to them, the tree's own and those above it, both as named and where links lead. One
 * another user owns, or that a group not privately ours or everyone may write (on the way, a sticky
 * one such as /tmp or a tmpfs's is fine: no one can move ours out of it), lets that user put a link where
 * a state file is read or written (a host file read as installed.json, written through) or a FIFO
 * that holds the command for good. Then VerificationError `unsafe-root` (exit 4), naming the folder
 * and who. `status` reads any tree with read-bounded reads; state files are read so here too
 * (state-file.ts), for a tree of root's own. cli/index.ts asks paths.ts's treeShared first, and
 * app/context.ts's treeActable (openBox, for every front end) asks the same at each operation.
 */
export function assertTreeOurs(root: string, words: string[]): void {
  if (TREE_READERS.some((r) => r === words.slice(0, r.split(' ').length).join(' '))) return;
  judgeTree(root);
}

/**
 * The judgement itself, whatever the command (app/context.ts's treeActable asks it for the
 * operations of every front end: the console and the dashboard open the box with openBox).
 */
export function judgeTree(root: string): void {
  const fs = process.getBuiltinModule('node:fs');
  const named = path.resolve(root);
  let real = named;
  try {
    real = fs.realpathSync.native(root);
  } catch {}
  // The state folders, as named and where each really is (an admin's var/lib/blueprint on a bigger
  // disk): blueprint's files are in them, so no one else may even add a name there (sticky or not).
  const state = new Set<string>();
  for (const tree of new Set([named, real]))
    for (const dir of managedDirs(layout(tree))) {
      state.add(dir);
      try {
        state.add(fs.realpathSync.native(dir));
      } catch {} // Not there yet (nothing to judge but the folders above), or not ours to look into.
    }
  // Every other folder on the way: one where others may add names but not move ours (sticky) is fine.
  const here = { stickyIsFine: false, ownGroupIsFine: true };
  const onTheWay = { stickyIsFine: true, ownGroupIsFine: true };
  // Run through sudo by the user who owns the tree (a checkout in their home, its demo box): theirs
  // is the runner's own, as git's safe.directory takes SUDO_UID's (root's environment: only root
  // or sudo sets it).
  const me = process.geteuid?.() ?? 0;
  const sudoer =
    me === 0 && /^[1-9]\d*$/.test(process.env.SUDO_UID ?? '') ? Number(process.env.SUDO_UID) : -1;
  const seen = new Set<string>();
  for (const dir of state)
    for (let d = dir; !seen.has(d); d = path.dirname(d)) {
      seen.add(d);
      // One the runner cannot look into (not root: EACCES) is passed over: it cannot read it either.
      let st: import('node:fs').Stats | undefined;
      try {
        st = fs.statSync(d, { throwIfNoEntry: false });
      } catch {}
      const who =
        st && otherWriter(st.uid === sudoer ? { ...st, uid: me } : st, state.has(d) ? here : onTheWay);
      if (who) throw unsafeTree(root, d, who);
    }
}

/**
 * Commands that read any tree (`status`, `system status`, `gpu`: bounded reads, links judged, no
 * tree program run) or none (`module`, `repo`, `version`, `audit sbom`: the executable's own SBOM).
 * Not `doctor` nor the other audits: they connect to the engine socket the tree's config.json names
 * (one its owner runs would answer root), and `audit outbound` writes its history into the tree.
 */
const TREE_READERS = ['status', 'system status', 'gpu', 'module', 'repo', 'version', 'audit sbom'];

/** The refusal: where, who, and what the admin can do. */
export function unsafeTree(root: string, at: string, who: string): VerificationError {
  return new VerificationError(
    `another user can change ${at} (${who}), so --root ${root} is not acted on: a link or FIFO put in the tree would lead this command's reads and writes elsewhere`,
    'unsafe-root',
    `Commands that read or change a box act only on a tree no user but root (or you) can change: its folder, those above it, and its etc/blueprint, var/lib/blueprint, var/cache/blueprint, opt/blueprint and run/blueprint. \`blueprint --root ${shellWord(root)} status\` (and \`system status\`, \`gpu\`) still reads it. To act on it, copy it into a folder of yours (\`cp -a\`); or, if its owner is trusted, make those folders root's and not writable by others (\`chown root: FOLDER\`, \`chmod go-w FOLDER\`).`,
  );
}
