/**
 * `blueprint apply -f` with a module's `settings:` and `blueprint service config` on the same
 * module at the same moment, as two processes: apply wrote the file without the lock the command
 * takes, and whole, so the command's key (or apply's) was lost. Both keys are kept now: apply's
 * `settings:` sets the keys it names under the same lock, read afresh at the write.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { layout } from '../../src/core/system/paths.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { run } from '../helpers/pkg.js';
import { sshPublicKey } from './helpers.js';

const settingsOf = (root: string) =>
  JSON.parse(readFileSync(path.join(root, 'etc/blueprint/settings/llm.json'), 'utf8'));

async function box(): Promise<{ root: string; file: string }> {
  const root = tokenRoot('bp-apply-settings-at-once-');
  await register(
    root,
    'llm',
    parseService({
      image,
      env: { LLM_PARALLEL: '1', LLM_CONTEXT: '4096' },
      settings: {
        LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests at once' },
        LLM_CONTEXT: { type: 'integer', min: 512, max: 131072, description: 'Context' },
        KIT_ORIGINS: { type: 'origins', description: 'Browser origins' },
      },
    }),
  );
  // Installed as bpkg records it, so apply has nothing to fetch or install.
  const db = layout(root).installedDb;
  mkdirSync(path.dirname(db), { recursive: true });
  writeFileSync(
    db,
    JSON.stringify({ packages: { llm: { name: 'llm', version: '1.0.0', origin: 'main', signer: 'AAAA' } } }),
  );
  const file = path.join(root, '..', `${path.basename(root)}.yaml`);
  writeFileSync(
    file,
    [
      'hostname: box-01',
      'users:',
      `  - { name: admin, keys: ["${sshPublicKey('ops@laptop')}"] }`,
      'modules:',
      '  - { name: llm, state: installed, settings: { LLM_PARALLEL: 4 } }',
      '',
    ].join('\n'),
  );
  return { root, file };
}

describe('apply -f and service config on the same settings at once', () => {
  it('keeps both sides’ keys, whichever writes first', async () => {
    for (let round = 0; round < 4; round++) {
      const { root, file } = await box();
      const [apply, config] = await Promise.all([
        run(['--root', root, 'apply', '-f', file]),
        run(['--root', root, 'service', 'config', 'llm', 'KIT_ORIGINS=http://10.0.0.5:3000']),
      ]);
      expect(apply.code, apply.stderr).toBe(0);
      expect(config.code, config.stderr).toBe(0);
      expect(settingsOf(root)).toEqual({ LLM_PARALLEL: '4', KIT_ORIGINS: 'http://10.0.0.5:3000' });
    }
  });
});
