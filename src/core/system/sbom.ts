/**
 * The software bill of materials the executable carries: CycloneDX JSON made by scripts/build.mjs
 * (scripts/sbom.mjs) and embedded as a SEA asset, so the single file on a box can say what it is
 * built from, whatever else is or is not installed beside it.
 */
import { getAsset, isSea } from 'node:sea';
import { NotFoundError, VerificationError } from '../errors.js';

/** The asset's key in the single-executable blob (scripts/build.mjs). */
export const SBOM_ASSET = 'sbom.cdx.json';

export interface Sbom {
  /** The document exactly as embedded. */
  text: string;
  document: { bomFormat: string; specVersion: string; components: unknown[] } & Record<string, unknown>;
}

/** Reads the embedded SBOM; refuses when this is not the built executable or it carries none. */
export function embeddedSbom(): Sbom {
  const hint = 'Build the executable (npm run build) and run dist/blueprint audit sbom.';
  if (!isSea())
    throw new NotFoundError('This is not the built executable: it carries no SBOM', hint, 'sbom-missing');
  let text: string;
  try {
    text = getAsset(SBOM_ASSET, 'utf8');
  } catch (err) {
    throw new NotFoundError(
      `This executable carries no SBOM (${(err as Error).message})`,
      hint,
      'sbom-missing',
    );
  }
  return { text, document: parseSbom(text) };
}

/** Checks that `text` is a CycloneDX JSON document with a component list. */
export function parseSbom(text: string): Sbom['document'] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new VerificationError('The embedded SBOM is not JSON', 'sbom-invalid', undefined, { cause: err });
  }
  const d = document as Partial<Sbom['document']> | null;
  if (d?.bomFormat !== 'CycloneDX' || typeof d.specVersion !== 'string' || !Array.isArray(d.components)) {
    throw new VerificationError('The embedded SBOM is not a CycloneDX document', 'sbom-invalid');
  }
  return d as Sbom['document'];
}
