/**
 * node-llama-cpp renders a GGUF's chat template with llama.cpp's native Jinja renderer when its
 * JavaScript one cannot parse it (resolveChatWrapper passes the model's llama). Native code is not
 * stopped by template-bound.ts's vm timeout, so a template only the native renderer takes would
 * render unbounded, on the event loop, at load and on every chat. The service resolves the wrapper
 * without the llama: such a template falls back to a built-in wrapper and never reaches native code.
 *
 * The tiny llama's template replaced (same length) by one the JavaScript renderer rejects; the
 * native renderer's constructor is counted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../modules/llm/server/engine.js';
import { F32 } from '../llm/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-template-native-');

/** The fixture with its 170-character tokenizer.chat_template replaced by `template`, padded. */
function withTemplate(template: string): string {
  const gguf = Buffer.from(readFileSync(F32));
  const key = Buffer.from('tokenizer.chat_template');
  const at = gguf.indexOf(key) + key.length;
  const len = Number(gguf.readBigUInt64LE(at + 4));
  if (gguf.readUInt32LE(at) !== 8 || len !== 170) throw new Error('not the tiny llama this test patches');
  gguf.write(template.padEnd(len, ' '), at + 12, 'latin1');
  const file = join(dir, 'native-template.gguf');
  writeFileSync(file, gguf);
  return file;
}

let llama: Llama | undefined;
afterAll(async () => {
  await llama?.dispose();
});

describe("llm: a GGUF's chat template never reaches llama.cpp's native (uninterruptible) renderer", () => {
  it('a template the JavaScript renderer rejects is not handed to the native one', async () => {
    llama = await getLlama({ gpu: false, build: 'never' });
    const bindings = (llama as unknown as { _bindings: Record<string, unknown> })._bindings;
    const Native = bindings.AddonJinjaRenderer as new (t: string) => object;
    let constructed = 0;
    bindings.AddonJinjaRenderer = class extends Native {
      constructor(t: string) {
        constructed++;
        super(t);
      }
    };
    const engine = await Engine.load(
      {
        modelPath: withTemplate('{% raw %}{{ messages }}{% endraw %}'),
        name: 'native-template',
        device: 'cpu',
        deviceReason: 'test',
        contextSize: 256,
        parallel: 1,
        threads: 1,
      },
      () => undefined,
      { llama, device: 'cpu', deviceReason: 'test' },
    );
    try {
      const r = await engine.chat(
        [{ role: 'user', content: 'hello' }],
        { temperature: 0, stop: [], maxTokens: 2 },
        new AbortController().signal,
      );
      expect(r.promptTokens).toBeGreaterThan(0);
      expect(constructed).toBe(0);
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
