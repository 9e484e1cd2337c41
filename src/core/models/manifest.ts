/**
 * The manifest of a `model-NAME` package, one way for both makers of one: a publisher's build
 * (modules/llm/model-package.ts, before `blueprint repo build` signs it) and a GGUF imported on
 * the box (`blueprint model import`, signed by the box's own key). Pure and import-free, so the
 * module's build script (run by node from the source tree) can use it as it is.
 */

export interface ModelManifestInput {
  /** The model's name; the package is `model-NAME`, its files under models/NAME/. */
  name: string;
  version: string;
  /** The licence line (the admin's, else the GGUF's general.license). */
  license?: string;
  /** The GGUF's general.name, shown in the summary when it is plain text. */
  displayName?: string;
  hasTemplate: boolean;
  /** Payload-relative path (models/NAME/...) -> SHA-256, checked at install and at every start. */
  files: Record<string, string>;
}

/** Model names: what a package name allows after `model-` (lower-case letters, digits, dashes). */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,56}$/;

/** Text from a model file fit for a one-line manifest field: printable and short, else undefined. */
export function plainLine(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t &&
    t.length <= max &&
    !/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.test(t)
    ? t
    : undefined;
}

export function modelManifest(m: ModelManifestInput): Record<string, unknown> {
  const shown = plainLine(m.displayName, 100) ?? m.name;
  return {
    format: 1,
    name: `model-${m.name}`,
    version: m.version,
    arch: 'all',
    summary: `Language model ${shown} (GGUF) for the llm module`,
    description: `The GGUF weights${m.hasTemplate ? ', chat template' : ''} and licence of ${m.name}, each file's SHA-256 in this signed manifest. Served by the llm module, which re-checks every file before loading it.`,
    license: plainLine(m.license, 500) ?? 'see LICENSE in the package',
    files: m.files,
  };
}
