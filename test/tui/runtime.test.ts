import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheDir } from '../../src/tui/code-cache.js';
import { shrinkHeap, withoutFetch } from '../../src/tui/runtime.js';
import { tempDir } from '../setup/temp-registry.js';

const home = () => tempDir('bp-tui-home-');

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

  it('waits without the optimising compilers, and has them back while an operation runs', () => {
    // In a process of its own: V8's flags are process-wide. A hot loop is optimised (status bit 16)
    // or not; a function made after each switch, as V8 keeps what it compiled.
    const script = `
      import { fullSpeed, leanHeap } from ${JSON.stringify(path.resolve('src/tui/runtime.ts'))};
      const v8 = process.getBuiltinModule('node:v8');
      v8.setFlagsFromString('--allow-natives-syntax');
      const status = new Function('f', 'return %GetOptimizationStatus(f)');
      const arr = Array.from({ length: 1000 }, (_, i) => i);
      let n = 0;
      const optimised = () => {
        // A new source each time: V8 would share the compiled function of an identical one.
        const hot = new Function('a', 'let s = ' + n++ + '; for (let i = 0; i < a.length; i++) s += a[i] * 2; return s;');
        for (let i = 0; i < 20000; i++) hot(arr);
        return (status(hot) & 16) !== 0;
      };
      const seen = { before: optimised() };
      const noop = fullSpeed(); // not lean yet: changes nothing
      noop();
      seen.untouched = optimised();
      leanHeap();
      seen.lean = optimised();
      const back = fullSpeed();
      seen.operation = optimised();
      back();
      seen.after = optimised();
      console.log(JSON.stringify(seen));
    `;
    // --no-concurrent-recompilation: V8 optimises on the main thread as soon as the loop is hot,
    // not on a background thread that a loaded machine may not run within the loop (the clean-clone
    // CI beside other work read "operation: false" once): what is judged is whether the flags let
    // it optimise, not how soon a core is free.
    const out = execFileSync(process.execPath, [
      '--no-concurrent-recompilation',
      '--input-type=module',
      '-e',
      script,
    ]).toString();
    expect(JSON.parse(out)).toEqual({
      before: true,
      untouched: true,
      lean: false,
      operation: true,
      after: false,
    });
  });

  it("keeps V8's compiled code in the user's own ~/.cache/blueprint/v8, made private", () => {
    const h = home();
    const dir = codeCacheDir(h);
    expect(dir).toBe(path.join(h, '.cache/blueprint/v8'));
    for (const d of [path.join(h, '.cache'), path.join(h, '.cache/blueprint'), dir!]) {
      const st = lstatSync(d);
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o077).toBe(0);
      expect(st.uid).toBe(process.geteuid!());
    }
    expect(codeCacheDir(h)).toBe(dir); // the second time, as made
  });

  it('keeps none where another user could write the code it would run', () => {
    const shared = home();
    chmodSync(shared, 0o777); // a home others may write to
    expect(codeCacheDir(shared)).toBeUndefined();

    const linked = home();
    const elsewhere = home();
    symlinkSync(elsewhere, path.join(linked, '.cache')); // a link in place of a folder
    expect(codeCacheDir(linked)).toBeUndefined();
    expect(lstatSync(elsewhere).nlink).toBe(2); // nothing made through it

    const loose = home();
    mkdirSync(path.join(loose, '.cache/blueprint'), { recursive: true, mode: 0o777 });
    chmodSync(path.join(loose, '.cache/blueprint'), 0o777);
    expect(codeCacheDir(loose)).toBeUndefined();
  });

  it.skipIf(process.geteuid?.() !== 0)(
    "keeps none in another user's home (sudo keeps the caller's HOME)",
    () => {
      const theirs = home();
      chownSync(theirs, 65534, 65534);
      expect(codeCacheDir(theirs)).toBeUndefined();
    },
  );

  it.skipIf(process.geteuid?.() !== 0)(
    'keeps none in a home under a folder another user can change (they could swap the home for theirs)',
    () => {
      const above = home();
      const h = path.join(above, 'home');
      mkdirSync(h, { mode: 0o700 });
      chownSync(above, 65534, 65534);
      expect(codeCacheDir(h)).toBeUndefined();
      // Reached through a link of root's to their folder, the same.
      const via = home();
      symlinkSync(above, path.join(via, 'up'));
      expect(codeCacheDir(path.join(via, 'up', 'home'))).toBeUndefined();
    },
  );
});
