/**
 * The venv holding the official Python `openai` client (test/clients/requirements.txt), which
 * scripts/setup-host.sh makes under node_modules/.cache/pyclients, and a run of openai_client.py
 * with it. A missing or stale venv is a failure that says how to make it, never a skip: a CI
 * machine without it would otherwise pass without having talked Python to a module.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
export const VENV = resolve(REPO, 'node_modules/.cache/pyclients');
const REQUIREMENTS = resolve(import.meta.dirname, 'requirements.txt');
/** setup-host.sh writes the requirements it installed here, last, once the install succeeded. */
const INSTALLED = resolve(VENV, 'installed-requirements.txt');
const SCRIPT = resolve(import.meta.dirname, 'openai_client.py');

/** The venv's python; throws with the command that makes it when it is missing or stale. */
export function venvPython(): string {
  const python = resolve(VENV, 'bin/python');
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  const have = existsSync(INSTALLED) ? readFileSync(INSTALLED, 'utf8') : undefined;
  if (!existsSync(python) || have !== wanted)
    throw new Error(
      `the Python openai client is ${have === undefined ? 'not installed' : 'not the pinned version'} in ${VENV}: ` +
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
