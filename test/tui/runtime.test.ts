import { describe, expect, it } from 'vitest';
import { shrinkHeap, withoutFetch } from '../../src/tui/runtime.js';

describe('the console process (issue 20: memory and first paint)', () => {
  it('loads Ink with no fetch in sight (yoga then decodes its WebAssembly itself), and puts fetch back', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
    const seen = await withoutFetch(async () => typeof (globalThis as { fetch?: unknown }).fetch);
    expect(seen).toBe('undefined');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
  });

  it('puts fetch back when the load fails', async () => {
    const before = globalThis.fetch;
    await expect(
      withoutFetch(async () => {
        throw new Error('no Ink');
      }),
    ).rejects.toThrow('no Ink');
    expect(globalThis.fetch).toBe(before);
  });

  it('really loads Ink that way: yoga lays out a box', async () => {
    const { Box, Text, render } = await withoutFetch(() => import('ink'));
    const react = await import('react');
    const { PassThrough } = await import('node:stream');
    const out = Object.assign(new PassThrough(), { columns: 40, rows: 5, isTTY: false });
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const app = render(
      react.createElement(Box, { paddingLeft: 3 }, react.createElement(Text, null, 'laid out')),
      { stdout: out as unknown as NodeJS.WriteStream, debug: true, patchConsole: false },
    );
    app.unmount();
    expect(text).toContain('   laid out');
  });

  it('gives the young generation back once, and leaves no gc() exposed', () => {
    const v8 = process.getBuiltinModule('node:v8');
    const vm = process.getBuiltinModule('node:vm');
    // Grow the young generation as the console's start-up does.
    let keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
    keep = [];
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
    const grown = newSpace();
    shrinkHeap();
    expect(newSpace()).toBeLessThan(grown);
    expect(vm.runInNewContext('typeof gc')).toBe('undefined');
    expect(keep).toEqual([]);
  });
});
