import { renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { FairQueue } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const RAG = 'rag-token-0123456789abcdefghij';
const LLM2 = 'other-token-0123456789abcdefgh';

describe("the kit's consumer tokens (client-tokens)", () => {
  it('names the consumer of a known token; a file written after the start is read at the first unknown token', () => {
    const dir = tempDir('kit-ct-');
    const file = join(dir, 'client-tokens');
    const t = new ClientTokens(file);
    expect(t.identify(RAG)).toBeUndefined(); // no file yet
    // Blueprint writes it by a rename when a consumer starts, maybe after the module started.
    writeFileSync(join(dir, 'new'), `rag ${RAG}\n`);
    renameSync(join(dir, 'new'), file);
    expect(t.identify(RAG)).toBe('rag');
    expect(t.identify(`${RAG}x`)).toBeUndefined();
    writeFileSync(join(dir, 'new'), `other ${LLM2}\n`);
    renameSync(join(dir, 'new'), file);
    expect(t.identify(LLM2)).toBe('other');
    expect(t.identify(RAG)).toBeUndefined(); // a consumer removed: its token no longer opens anything
  });

  it("a consumer removed: its known token stops working within a second of the file's rewrite", async () => {
    const dir = tempDir('kit-ct-');
    const file = join(dir, 'client-tokens');
    writeFileSync(file, `rag ${RAG}\nother ${LLM2}\n`);
    const t = new ClientTokens(file);
    expect(t.identify(RAG)).toBe('rag');
    writeFileSync(join(dir, 'new'), `other ${LLM2}\n`);
    renameSync(join(dir, 'new'), file);
    await new Promise((r) => setTimeout(r, 1100));
    expect(t.identify(RAG)).toBeUndefined();
    expect(t.identify(LLM2)).toBe('other');
  });

  it('skips malformed lines (short tokens, bad names, extra fields, a name twice: the first counts)', () => {
    const file = join(tempDir('kit-ct-'), 'client-tokens');
    writeFileSync(
      file,
      [`Rag ${RAG}`, 'rag short', `../x ${RAG}`, `rag ${RAG} extra`, `ok ${RAG}`, `ok ${LLM2}`, ''].join(
        '\n',
      ),
    );
    const t = new ClientTokens(file);
    expect(t.size).toBe(1);
    expect(t.identify(RAG)).toBe('ok');
    expect(t.identify(LLM2)).toBeUndefined();
  });

  it('attack: a link at the name (the module could leave one in its own folder) is not followed', () => {
    const dir = tempDir('kit-ct-');
    writeFileSync(join(dir, 'elsewhere'), `rag ${RAG}\n`);
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'client-tokens'));
    const t = new ClientTokens(join(dir, 'client-tokens'));
    expect(t.identify(RAG)).toBeUndefined();
  });
});

describe('the fair queue takes turns between clients, then between their connections', () => {
  it('a client with three connections gets one turn in each round, as does one with one', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 100, maxPerKey: 10 });
    const [a1, a2, a3, r] = [{}, {}, {}, {}];
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const job = (name: string) => async () => {
      order.push(name);
      if (name === 'x') await gate;
    };
    const all = [
      q.run(a1, job('x'), undefined, 'admin'),
      q.run(a1, job('a1'), undefined, 'admin'),
      q.run(a2, job('a2'), undefined, 'admin'),
      q.run(a3, job('a3'), undefined, 'admin'),
      q.run(r, job('r1'), undefined, 'consumer:rag'),
      q.run(r, job('r2'), undefined, 'consumer:rag'),
    ];
    release();
    await Promise.all(all);
    expect(order).toEqual(['x', 'a1', 'r1', 'a2', 'r2', 'a3']);
  });

  it('when full, a client holding two or more fewer takes the newest waiting place of the one holding most', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 3, maxPerKey: 4 });
    const [a, b, r] = [{}, {}, {}];
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const running = q.run(a, () => gate);
    const waiting = [1, 2, 3].map((i) => q.run(b, async () => `b${i}`));
    // Anonymous holds 3 waiting places, rag none: rag takes the newest.
    const r1 = q.run(r, async () => 'r1', undefined, 'consumer:rag');
    await expect(waiting[2]).rejects.toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    // Anonymous 2, rag 1: taking another would only swap who holds more: refused.
    await expect(q.run(r, async () => 'r2', undefined, 'consumer:rag')).rejects.toMatchObject({
      status: 503,
    });
    release();
    expect(await Promise.all([running, waiting[0], waiting[1], r1])).toEqual([undefined, 'b1', 'b2', 'r1']);
  });
});
