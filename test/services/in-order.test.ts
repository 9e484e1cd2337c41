import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../src/core/services/in-order.js';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failLater = (ms: number, message: string) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('allInOrder (steps of service start asked together)', () => {
  it('gives the values in the order of the steps, not of their finishing', async () => {
    expect(await allInOrder([later(30, 'a'), later(1, 'b'), 'c'] as const)).toEqual(['a', 'b', 'c']);
  });

  it('runs the steps at the same time', async () => {
    const started: string[] = [];
    const step = (name: string) => {
      started.push(name);
      return later(20, name);
    };
    const all = allInOrder([step('x'), step('y')]);
    expect(started).toEqual(['x', 'y']); // both asked before either answered
    await all;
  });

  it('throws the failure of the earliest step, even when a later one failed first', async () => {
    await expect(allInOrder([failLater(30, 'first step'), failLater(1, 'second step')])).rejects.toThrow(
      'first step',
    );
  });

  it('waits for every step before throwing (nothing left running behind the error)', async () => {
    let finished = false;
    const slow = later(30, 1).then(() => {
      finished = true;
    });
    await expect(allInOrder([failLater(1, 'fails'), slow])).rejects.toThrow('fails');
    expect(finished).toBe(true);
  });
});
