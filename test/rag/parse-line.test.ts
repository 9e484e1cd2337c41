/** The parse worker's line (modules/rag/server/parse-line.ts): turns between clients, leavers dropped. */
import { describe, expect, it } from 'vitest';
import { ClientGoneError } from '../../modules/kit/server/index.js';
import { ParseLine } from '../../modules/rag/server/parse-line.js';

/** A job that records its start and ends when `finish()` is called. */
function jobs() {
  const order: string[] = [];
  const ends = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      order.push(name);
      ends.set(name, () => resolve(name));
    });
  const finish = async (name: string) => {
    ends.get(name)!();
    await new Promise((r) => setImmediate(r));
  };
  return { order, job, finish };
}

describe('ParseLine', () => {
  it('runs one parse at a time, the client that started one least recently first', async () => {
    const line = new ParseLine();
    const { order, job, finish } = jobs();
    const a = ['a1', 'a2', 'a3'].map((n) => line.run('consumer:a', job(n)));
    expect(order).toEqual(['a1']);
    const b = line.run('consumer:b', job('b1'));
    expect(line.length).toBe(3);
    await finish('a1'); // a has been served, b not: b goes before a2
    expect(order).toEqual(['a1', 'b1']);
    const c = line.run('consumer:c', job('c1')); // c never served: before a2 too
    await finish('b1');
    await finish('c1');
    await finish('a2');
    await finish('a3');
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'a3']);
    expect(await Promise.all([...a, b, c])).toEqual(['a1', 'a2', 'a3', 'b1', 'c1']);
  });

  it('drops a waiting parse whose client left; a started one runs on', async () => {
    const line = new ParseLine();
    const { order, job, finish } = jobs();
    const first = new AbortController();
    const gone = new AbortController();
    const running = line.run('x', job('x1'), first.signal);
    const waiting = line.run('y', job('y1'), gone.signal);
    const after = line.run('z', job('z1'));
    gone.abort();
    first.abort();
    await expect(waiting).rejects.toBeInstanceOf(ClientGoneError);
    expect(line.length).toBe(1);
    await finish('x1');
    expect(await running).toBe('x1');
    await finish('z1');
    expect(await after).toBe('z1');
    expect(order).toEqual(['x1', 'z1']);
    await expect(line.run('y', job('y2'), gone.signal)).rejects.toBeInstanceOf(ClientGoneError);
  });

  it('goes on after a parse that fails', async () => {
    const line = new ParseLine();
    await expect(line.run('a', () => Promise.reject(new Error('bad pdf')))).rejects.toThrow('bad pdf');
    expect(await line.run('a', async () => 'next')).toBe('next');
  });

  it('holds at most its capacity; a client with 2+ fewer waiting takes the newest place of the one with most', async () => {
    const line = new ParseLine(3);
    const { order, job, finish } = jobs();
    const a = ['a1', 'a2', 'a3'].map((n) => line.run('consumer:a', job(n)));
    const b = line.run('consumer:b', job('b1')); // a waits with 2, b with none: a3 gives way
    await expect(a[2]).rejects.toMatchObject({ status: 503, message: /another needs a place/ });
    // a waits with 1, b with 1: c (none) is not 2 fewer than anyone, so it is refused.
    await expect(line.run('consumer:c', job('c1'))).rejects.toMatchObject({
      status: 503,
      message: /busy: 3 documents/,
    });
    await finish('a1');
    await finish('b1');
    await finish('a2');
    expect(order).toEqual(['a1', 'b1', 'a2']);
    expect(await Promise.all([a[0], a[1], b])).toEqual(['a1', 'a2', 'b1']);
    expect(await line.run('consumer:c', async () => 'c2')).toBe('c2'); // room again
  });
});
