import type { ModelFacts } from '../core/models/describe.js';
import { showFingerprint } from './fingerprint.js';
import { shownHint } from './root-in-hints.js';
import { bytes } from './units.js';

/** `blueprint model show`'s rows (field, value), the ones known; the dashboard's model page shows the same. */
export function modelFactRows(m: ModelFacts): [string, string][] {
  const rows: [string, string | undefined][] = [
    ['model', `${m.name} (${m.package} ${m.version}, origin ${m.origin})`],
    ['name in the file', m.displayName],
    ['architecture', m.architecture],
    ['parameters', String(m.parameters)],
    ['context length', m.contextLength?.toString()],
    ['embedding length', m.embeddingLength?.toString()],
    ['layers', m.layers?.toString()],
    ['quantisation', m.quantisation],
    ['size', bytes(m.sizeBytes)],
    ['license', m.license],
    ['chat template', m.chatTemplate ? 'yes' : 'no (llm uses a general one)'],
    ['file', m.file],
    ['sha256', m.sha256],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined);
}

/** `blueprint model default` without NAME: the default set, or what llm serves without one. */
export function defaultModelText(
  d: { default?: string; installed?: boolean; fallback?: string },
  builtIn = false,
): string {
  if (builtIn) return `${d.default ? `${d.default} (set)` : 'No default model set'}; ${builtInNote()}.`;
  const fallback = d.fallback
    ? `llm serves the first by name, ${d.fallback} (unless its manifest's LLM_MODEL names one)`
    : 'no model is installed: `blueprint model import FILE.gguf --name NAME`';
  if (d.default && d.installed) return d.default;
  return d.default
    ? shownHint(
        `${d.default}: not installed; ${fallback}. Set another: \`blueprint model default NAME\`, or --clear.`,
      )
    : shownHint(`No default model set: ${fallback}. Set one: \`blueprint model default NAME\`.`);
}

/**
 * An installed llm with its model built in (the demo's) serves that one only: a default set here
 * is not what it serves, and no restart changes that.
 */
const builtInNote = () =>
  shownHint(
    'the installed llm has its model built in and serves that one only (`blueprint service status llm` names it): a default applies to an llm package made without one, which serves the model packages (modules/llm/README.md, "Built-in model")',
  );

/** What setting the default did (`blueprint model default NAME | --clear`). */
export const defaultSetText = (r: { default?: string; changed?: boolean }, builtIn = false): string => {
  // Set so already: nothing to apply.
  if (r.changed === false)
    return r.default ? `default model: ${r.default} (unchanged)` : 'no default model was set (unchanged)';
  const applies = builtIn
    ? builtInNote()
    : `it applies at llm's next start: ${shownHint('`blueprint service restart llm`')}`;
  return r.default ? `default model: ${r.default}; ${applies}` : `default model cleared; ${applies}`;
};

/**
 * An import's progress as lines (the dashboard's job; the CLI's reporter without a terminal):
 * each quarter of the copy and the packaging, then signing and installing.
 */
export function importProgress(
  line: (text: string) => void,
): (e: { phase: 'copy' | 'package'; bytes: number; total: number } | { phase: 'sign' | 'install' }) => void {
  let lastQuarter = -1;
  return (e) => {
    if (!('bytes' in e)) {
      line(e.phase === 'sign' ? "signing with this box's local key" : 'installing');
      return;
    }
    const frac = e.total ? e.bytes / e.total : 1;
    const quarter = Math.floor(frac * 4) + (e.phase === 'copy' ? 0 : 10);
    if (quarter === lastQuarter) return;
    lastQuarter = quarter;
    line(`${e.phase === 'copy' ? 'copying' : 'packaging'}: ${Math.round(frac * 100)}% of ${bytes(e.total)}`);
  };
}

/** What `blueprint model import` says it did. */
export function importedLines(r: {
  package: string;
  version: string;
  source: { bytes: number; sha256: string };
  signer: string;
  files: Record<string, string>;
  changed?: boolean;
}): string[] {
  if (r.changed === false)
    return [
      `${r.package} ${r.version} is installed already with this GGUF: unchanged`,
      `  sha256 ${r.source.sha256}`,
    ];
  return [
    `installed ${r.package} ${r.version} (origin local), ${bytes(r.source.bytes)}`,
    `  sha256 ${r.source.sha256}`,
    `  signed by this box's key ${showFingerprint(r.signer)}`,
    ...Object.keys(r.files).map((f) => `  ${f}`),
  ];
}
