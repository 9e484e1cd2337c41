/**
 * A box with an llm installed as far as `model import` and `model list` look (the package database
 * and the service registration), made without the container engine. Those commands find the module
 * by its name, llm, and an install of a package named llm on the shared Podman engine meets the
 * demo's llm and other tests' (container names are engine-wide): this box puts nothing there.
 * `servesModels`: its registration mounts the model-* packages (modules/llm's manifest); without
 * it, its model is built in (the demo's llm, package.ts --model).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseService } from '../../src/core/services/schema.js';
import { layout } from '../../src/core/system/paths.js';
import { image, register, tokenRoot } from './client-token-box.js';

export async function llmBox(servesModels: boolean): Promise<string> {
  const root = tokenRoot('bp-llm-box-');
  const spec = parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: '/run/llm', file: 'api.sock' },
    ...(servesModels
      ? {
          packageMounts: [{ packages: 'model-*', source: 'models', target: '/models' }],
          justification: { packageMounts: 'Serves the installed model packages.' },
        }
      : {}),
  });
  await register(root, 'llm', spec);
  const db = layout(root).installedDb;
  mkdirSync(path.dirname(db), { recursive: true });
  const llm = {
    name: 'llm',
    version: '1.0.0',
    arch: 'x86_64',
    summary: 'Local LLM inference',
    depends: [],
    origin: 'test',
    signer: '0'.repeat(40),
    installed: new Date().toISOString(),
  };
  writeFileSync(db, JSON.stringify({ format: 1, txid: '', packages: { llm } }));
  return root;
}
