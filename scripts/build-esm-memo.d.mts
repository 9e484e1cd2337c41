// Types for the TypeScript tests that import scripts/build-esm-memo.mjs.
import type { Plugin } from 'esbuild';

export function memoizeToEsm(text: string): string | undefined;
export const esmMemo: Plugin;
