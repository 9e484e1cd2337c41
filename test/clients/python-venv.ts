/**
 * The venv holding the official Python `openai` client (test/clients/requirements.txt), which
 * scripts/setup-host.sh makes under node_modules/.cache/pyclients, and a run of openai_client.py
 * with it. A missing or stale venv is a failure that says how to make it, never a skip: a CI
 * machine without it would otherwise pass without having talked Python to a module.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
export const VENV = resolve(REPO, 'node_modules/.cache/pyclients');
const REQUIREMENTS = resolve(import.meta.dirname, 'requirements.txt');
const SCRIPT = resolve(import.meta.dirname, 'openai_client.py');

/**
 * The venv's python; throws with the command that makes it when it is missing or stale, or when a
 * link stands at the venv's name (its python would be whatever the link names: setup-host replaces
 * it). setup-host writes the requirements it installed as installed-requirements.txt, last, once
 * the install succeeded. `venv`: another folder, for test/security/setup-pyclients-planted; `root`:
 * the checkout it is in, every folder from there down to it a real one.
 */
export function venvPython(venv = VENV, root = REPO): string {
  // A link above the venv (node_modules, node_modules/.cache) leads to another folder's python just
  // as one at its name (REVIEW17, test/security/pyclients-venv-through-link); setup-pyclients.sh
  // refuses it, but only when setup-host runs again.
  let at = root;
  const below = relative(root, dirname(venv));
  for (const part of below.startsWith('..') || isAbsolute(below) ? [] : below.split(sep).filter(Boolean)) {
    at = join(at, part);
    if (lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink())
      throw new Error(
        `${at} is a link (to ${readlinkSync(at)}), and the venv is not taken through it: remove the link (rm ${at}) and run \`sudo bash scripts/setup-host.sh\``,
      );
  }
  if (lstatSync(venv, { throwIfNoEntry: false })?.isSymbolicLink())
    throw new Error(
      `${venv} is a link, not the venv: run \`sudo bash scripts/setup-host.sh\` (it makes the venv in its place)`,
    );
  const python = resolve(venv, 'bin/python');
  const installed = resolve(venv, 'installed-requirements.txt');
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  const have = existsSync(installed) ? readFileSync(installed, 'utf8') : undefined;
  if (!existsSync(python) || have !== wanted)
    throw new Error(
      `the Python openai client is ${have === undefined ? 'not installed' : 'not the pinned version'} in ${venv}: ` +
        'run `sudo bash scripts/setup-host.sh` (it makes that venv from test/clients/requirements.txt)',
    );
  return python;
}

/**
 * openai_client.py KIND SOCKET TOKEN BASE_URL [INPUT] (an empty BASE_URL: http://localhost/v1;
 * INPUT: rag's question, or embeddings' texts as JSON): its JSON, or a throw with its exit and stderr.
 */
export function runOpenAiPython(
  kind: 'llm' | 'rag' | 'embeddings',
  socket: string,
  token: string,
  opts: { baseUrl?: string; input?: string } = {},
): Promise<Record<string, unknown>> {
  const args = [SCRIPT, kind, socket, token, opts.baseUrl ?? '', ...(opts.input ? [opts.input] : [])];
  return new Promise((done, fail) => {
    execFile(venvPython(), args, { timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`openai_client.py ${kind} failed (${err.code ?? err.signal}):\n${stderr}`));
      else done(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}
