// Types of scripts/build-arch.mjs for the TypeScript that imports it (modules/kit/native.ts).
export declare const ARCHES: Record<'x64' | 'arm64', { exe: string; link: string; strip: string }>;
export declare function targetArch(argv: string[]): 'x64' | 'arm64';
export declare function targetNode(
  root: string,
  arch: 'x64' | 'arm64',
  hostNode: string,
  version: string,
): string;
