import { describe, expect, it } from 'vitest';
import { createLog, FairQueue } from '../../modules/kit/server/index.js';

describe('fair queue', () => {
  it('starts jobs round-robin across connections, one at a time', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 100, maxPerKey: 10 });
    const [a, b, c] = [{}, {}, {}];
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = (name: string) => async () => {
      order.push(name);
      if (name === 'a0') await gate;
    };
    const all = [
      q.run(a, job('a0')),
      ...[1, 2, 3].map((i) => q.run(a, job(`a${i}`))),
      q.run(b, job('b0')),
      q.run(b, job('b1')),
      q.run(c, job('c0')),
    ];
    expect(q.running).toBe(1);
    release();
    await Promise.all(all);
    expect(order).toEqual(['a0', 'a1', 'b0', 'c0', 'a2', 'b1', 'a3']);
  });

  it('bounds the queue in all and per connection with 503 + Retry-After, and drops work of a client that left', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 3, maxPerKey: 2 });
    const [a, b] = [{}, {}];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = q.run(a, () => gate);
    const a1 = q.run(a, async () => 'a1');
    const a2 = q.run(a, async () => 'a2');
    await expect(q.run(a, async () => 'a3')).rejects.toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
    });
    const left = new AbortController();
    const b1 = q.run(b, async () => 'b1', left.signal);
    await expect(q.run(b, async () => 'b2')).rejects.toMatchObject({ status: 503 }); // 3 waiting in all
    expect(q.holds(b)).toBe(true);
    left.abort();
    await expect(b1).rejects.toThrow(/client closed the connection/);
    expect(q.holds(b)).toBe(false);
    expect(q.length).toBe(2);
    release();
    expect(await Promise.all([running, a1, a2])).toEqual([undefined, 'a1', 'a2']);
  });

  it('keeps going after a job fails', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 4, maxPerKey: 4 });
    await expect(q.run({}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run({}, async () => 'next')).resolves.toBe('next');
  });
});

describe('kit log', () => {
  it('writes the first of a repeated event, then one summary per window', async () => {
    const lines: string[] = [];
    const log = createLog({ name: 'm', write: (t) => lines.push(t), windowMs: 50 });
    for (let i = 0; i < 8912; i++) log.event('503 /embed', `503 POST /embed: busy ${i}`);
    expect(lines).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/503 \/embed × 8911 more in the last 0 s \(last: 503 POST \/embed: busy 8911\)/);
    log.event('503 /embed', 'again');
    expect(lines).toHaveLength(3); // a new window starts with the line itself
  });

  it('repeats the start-up record after every N bytes, so a tail of the log always holds it', () => {
    let text = '';
    const log = createLog({ name: 'm', write: (t) => (text += t), recordEveryBytes: 2000 });
    log.startup('verified 5 model files against the signed manifest');
    log.startup('no access token: any local client of the socket may use the API');
    for (let i = 0; i < 500; i++) log(`distinct line ${i} ${'x'.repeat(40)}`);
    expect(text.length).toBeGreaterThan(30_000);
    // Any window of 2000 bytes + the record's own size holds it whole.
    for (const end of [text.length, text.length - 5000, 12_345]) {
      const tail = text.slice(Math.max(0, end - 2400), end);
      expect(tail).toMatch(/verified 5 model files/);
      expect(tail).toMatch(/no access token/);
    }
  });
});
