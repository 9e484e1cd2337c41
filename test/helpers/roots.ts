import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { tempRoot } from '../setup/helpers.js';

/**
 * A fresh box root and a work folder for each test, removed after it; `defer` runs a cleanup
 * first (e.g. removing what an install left in the container engine).
 */
export function rootsPerTest(tag: string): {
  root: string;
  work: string;
  defer(fn: () => Promise<void>): void;
} {
  const cleanups: (() => Promise<void>)[] = [];
  const t = {
    root: '',
    work: '',
    defer: (fn: () => Promise<void>) => void cleanups.unshift(fn),
  };
  beforeEach(async () => {
    const a = await tempRoot(`${tag}-root`);
    const b = await tempRoot(`${tag}-work`);
    t.root = a.root;
    t.work = b.root;
    cleanups.push(a.cleanup, b.cleanup);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return t;
}

/**
 * A fresh box root for each test, removed after it: `box.root`, and `box.at(p)` the path `p` in it
 * (for the files a test reads and writes there).
 */
export function boxPerTest(tag: string): { readonly root: string; at(p: string): string } {
  let root = '';
  let cleanup = async () => {};
  beforeEach(async () => ({ root, cleanup } = await tempRoot(tag)));
  afterEach(() => cleanup());
  return {
    get root() {
      return root;
    },
    at: (p: string) => path.join(root, p),
  };
}
