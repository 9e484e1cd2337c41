/**
 * The box a hint's commands act on. A hint names commands to paste (`bpkg update`); after
 * `blueprint --root /mnt/img pkg info x`, the pasted command without its --root acts on the live
 * box, /. So the CLI's entry says which root it was given (carryRoot) and each place that shows a
 * hint passes it through shownHint: every command in backticks that starts with blueprint or bpkg
 * (or sudo and one of them) gets `--root DIR` after the program's name. A plain message or warning
 * that names a command (bpkg's 'Add one with `bpkg repo add NAME URL`') goes through it too. A root from the
 * environment (BLUEPRINT_ROOT) stays in the shell that pastes, except under sudo, which drops it.
 * Small and in the start part (cli/index.ts imports it): one module, so the console and every
 * command part read the same root.
 */
import { shellWord } from '../core/system/shell-word.js';

export { shellWord };

export interface HintRoot {
  root: string;
  /** Given as --root on the command line (else by BLUEPRINT_ROOT). */
  typed: boolean;
}

/** Commands that never read or write a box: a --root would only lengthen them (usage-text.ts). */
export const COMMANDS_WITHOUT_ROOT = ['module', 'repo', 'version'];

let carried: HintRoot | undefined;

/** The root of the command line being run (undefined: /, or none given). */
export function carryRoot(root: HintRoot | undefined): void {
  carried = root;
}

/** A hint as shown to the admin: its commands on the root this command line acts on. */
export const shownHint = (hint: string): string => rootInCommands(hint, carried);

/** One command of a chain (`a && b`): `--root DIR` after its program, where it needs one. */
function rootIn(command: string, root: HintRoot): string {
  const m = /^(\s*)((?:sudo\s+)?)(blueprint|bpkg)(?=\s|$)(.*)$/s.exec(command);
  if (!m) return command;
  const [, space, sudo, prog, rest] = m as unknown as [string, string, string, string, string];
  const words = rest.trim().split(/\s+/);
  const first = words.find((w) => !w.startsWith('-'));
  const skip =
    (!root.typed && !sudo) ||
    words.some((w) => w === '--root' || w.startsWith('--root=') || w === '--help' || w === '-h') ||
    first === 'help' ||
    (prog === 'blueprint' && first !== undefined && COMMANDS_WITHOUT_ROOT.includes(first));
  return skip ? command : `${space}${sudo}${prog} --root ${shellWord(root.root)}${rest}`;
}

/**
 * A command line split at its chain operators (`&&`, `||`, `;`, `|`) outside quotes: commands at
 * even places, operators at odd. An operator inside quotes is an argument's text (a question typed,
 * repeated by the permission-denied hint), not a second command.
 */
function chain(line: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else {
      const op = /^(&&|\|\||[;|])/.exec(line.slice(i, i + 2))?.[1];
      if (!op) continue;
      parts.push(line.slice(start, i), op);
      i += op.length - 1;
      start = i + 1;
    }
  }
  parts.push(line.slice(start));
  return parts;
}

/** `text` with each command in backticks given the root (see the file's comment). */
export function rootInCommands(text: string, root: HintRoot | undefined): string {
  if (!root || root.root === '/' || !text.includes('`')) return text;
  return text.replace(/`([^`\n]+)`/g, (_, inner: string) => {
    const parts = chain(inner);
    return `\`${parts.map((p, i) => (i % 2 ? p : rootIn(p, root))).join('')}\``;
  });
}
