/** The kit's model file check (modules/kit/server/verify.ts), with this module's variable name. */
import { parseFileHashes as parse } from '../../kit/server/verify.js';

export { ModelVerificationError, verifyModelFiles } from '../../kit/server/verify.js';

/** Parses EMBEDDINGS_FILES: the signed manifest's `files` map (relative path -> SHA-256). */
export const parseFileHashes = (json: string | undefined) => parse(json, 'EMBEDDINGS_FILES');
