/**
 * The ingests' share's waiting (modules/rag/server/ingest-share.ts): first come first in, one
 * waiter a client, the waiting bytes bounded, a waiter gone when its client leaves or its time is up.
 */
import { describe, expect, it } from 'vitest';
import { IngestShare } from '../../modules/rag/server/ingest-share.js';

/** Work that ends when `end()` is called. */
function gate() {
  let end!: () => void;
  const p = new Promise<void>((r) => {
    end = r;
  });
  return { p, end };
}

describe('IngestShare', () => {
  it('a document that does not fit waits, and goes in before one that arrives after it', async () => {
    const share = new IngestShare(48, 32);
    const a = gate();
    const b = gate();
    const order: string[] = [];
    const big = share.run('anonymous', 32, () => a.p);
    const rest = share.run('consumer:evil', 16, () => b.p);
    const victim = share.run('consumer:victim', 1, async () => {
      order.push('victim');
    });
    const next = share.run('consumer:evil', 1, async () => {
      order.push('next');
    });
    expect(share.stats).toEqual({ held: 48, waiting: 2, waiters: 2 });
    b.end();
    await Promise.all([rest, victim, next]);
    expect(order).toEqual(['victim', 'next']);
    a.end();
    await big;
    expect(share.stats).toEqual({ held: 0, waiting: 0, waiters: 0 });
  });

  it('a small document never passes a large one waiting before it', async () => {
    const share = new IngestShare(48, 48);
    const a = gate();
    const held = share.run('x', 24, () => a.p);
    const order: string[] = [];
    const large = share.run('y', 32, async () => order.push('large'));
    const small = share.run('z', 1, async () => order.push('small'));
    expect(share.stats.waiters).toBe(2);
    a.end();
    await Promise.all([held, large, small]);
    expect(order).toEqual(['large', 'small']);
  });

  it('one waiter a client; past the waiting bound a waiter whose client would hold twice the newcomer’s gives way', async () => {
    const share = new IngestShare(48, 32);
    const a = gate();
    const held = share.run('x', 47, () => a.p);
    const large = share.run('y', 32, async () => 'large');
    await expect(share.run('y', 1, async () => 0)).rejects.toThrow(/already has a document waiting/);
    // y would hold 32, at least twice z's 2: y's waiter gives way.
    const small = share.run('z', 2, async () => 'small');
    await expect(large).rejects.toThrow(/documents are being ingested/);
    // z would hold 2, less than twice w's 31: the newcomer is the one refused.
    await expect(share.run('w', 31, async () => 0)).rejects.toThrow(/documents are being ingested/);
    a.end();
    await held;
    await expect(small).resolves.toBe('small');
  });

  it('a waiter leaves when its client does, or after waitMs, and the one behind it goes in', async () => {
    const share = new IngestShare(48, 48, 200);
    const a = gate();
    const held = share.run('x', 40, () => a.p);
    const ac = new AbortController();
    const left = share.run('y', 32, async () => 0, ac.signal);
    const behind = share.run('z', 8, async () => 'in');
    ac.abort();
    await expect(left).rejects.toThrow(/left/);
    await expect(behind).resolves.toBe('in');
    const late = share.run('y', 32, async () => 0);
    await expect(late).rejects.toThrow(/documents are being ingested/);
    expect(share.stats).toEqual({ held: 40, waiting: 0, waiters: 0 });
    a.end();
    await held;
  });
});

it('a waiter that gives way lets the one behind it in, and the newcomer in at once when it fits', async () => {
  const share = new IngestShare(48, 32);
  const a = gate();
  const held = share.run('x', 20, () => a.p);
  const large = share.run('y', 30, async () => 'large'); // 20 + 30 > 48: waits
  const newcomer = share.run('z', 4, async () => 'in'); // 30 + 4 > 32 waiting: y (30) gives way
  await expect(large).rejects.toThrow(/documents are being ingested/);
  await expect(newcomer).resolves.toBe('in');
  expect(share.stats).toEqual({ held: 20, waiting: 0, waiters: 0 });
  a.end();
  await held;
});
