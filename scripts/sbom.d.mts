// Types of scripts/sbom.mjs for the TypeScript that imports it (modules/rag/image-sbom.ts).
export interface SbomComponent {
  'bom-ref': string;
  type: string;
  name: string;
  version: string;
  [field: string]: unknown;
}
export declare function makeSbom(options: {
  root: string;
  metafile: { inputs: Record<string, unknown> };
  nodeVersion: string;
  subject?: { name: string; version: string; description?: string; license?: string };
  extra?: SbomComponent[];
}): string;
