import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleServer } from '../../modules/embeddings/package.js';
import { tempDir } from '../setup/temp-registry.js';

// The service runs an esbuild bundle of transformers.js; the in-process figures run the library
// from node_modules. The bundle must be the same code: esbuild's target node24 rewrote every
// /\p{…}/u literal as `new RegExp(…)`, compiled again at each call (the tokenizer's is_control runs
// once a character), and the bundled server tokenised ~30% slower than the library (issue 20).
const dir = tempDir('bp-emb-bundle-');

describe('the embeddings server bundle', () => {
  it('keeps the regular expression literals of transformers.js as literals', async () => {
    const out = join(dir, 'server.mjs');
    await bundleServer(out);
    const code = readFileSync(out, 'utf8');
    // The tokenizer's control-character test, as the library writes it.
    expect(code).toContain('/^\\p{Cc}|\\p{Cf}|\\p{Co}|\\p{Cs}$/u.test(char)');
    // No unicode property escape is compiled from a string at run time.
    const rebuilt = [...code.matchAll(/new RegExp\("((?:[^"\\]|\\.)*)"/g)].filter((m) =>
      m[1]!.includes('\\\\p{'),
    );
    expect(rebuilt.map((m) => m[0])).toEqual([]);
  }, 120_000);
});
