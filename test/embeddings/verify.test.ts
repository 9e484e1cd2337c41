import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ModelVerificationError,
  parseFileHashes,
  verifyModelFiles,
} from '../../modules/embeddings/server/verify.js';
import { tempDir } from '../setup/temp-registry.js';
import { FIXTURE_MODELS } from './helpers.js';

/** A payload root with models/tiny-bert and a manifest listing each file's hash. */
function payload(): { root: string; files: Record<string, string>; folder: string } {
  const root = tempDir('emb-verify-');
  const folder = join(root, 'models', 'tiny-bert');
  cpSync(join(FIXTURE_MODELS, 'tiny-bert'), folder, { recursive: true });
  const files: Record<string, string> = {};
  for (const f of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (f.isDirectory()) continue;
    const p = join(f.parentPath, f.name);
    files[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return { root, files, folder };
}

describe('model verification against the signed manifest', () => {
  it('accepts the files the manifest lists', async () => {
    const p = payload();
    expect(await verifyModelFiles(p.files, p.root, p.folder)).toBe(4);
  });

  it('refuses a modified weight file, naming it', async () => {
    const p = payload();
    const onnx = join(p.folder, 'onnx', 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(onnx, bytes);
    await expect(verifyModelFiles(p.files, p.root, p.folder)).rejects.toThrow(
      /models\/tiny-bert\/onnx\/model\.onnx: sha256 [0-9a-f]{64} but the manifest says/,
    );
  });

  it('refuses a file the manifest does not list, and a missing one', async () => {
    const p = payload();
    writeFileSync(join(p.folder, 'special_tokens_map.json'), '{}');
    rmSync(join(p.folder, 'tokenizer_config.json'));
    const err = await verifyModelFiles(p.files, p.root, p.folder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelVerificationError);
    expect(String(err)).toMatch(/special_tokens_map\.json: not listed/);
    expect(String(err)).toMatch(/tokenizer_config\.json: missing/);
  });

  it('refuses a model the manifest has no hashes for', async () => {
    const p = payload();
    await expect(
      verifyModelFiles({ 'models/other/x.onnx': 'a'.repeat(64) }, p.root, p.folder),
    ).rejects.toThrow(/lists no files under models\/tiny-bert/);
  });

  it('reads the hashes from the environment strictly', () => {
    const files = { 'models/m/config.json': 'b'.repeat(64) };
    expect(parseFileHashes(JSON.stringify(files))).toEqual(files);
    expect(() => parseFileHashes(undefined)).toThrow(/not set/);
    expect(() => parseFileHashes('{"a": "short"}')).toThrow(/64-hex-digit/);
    expect(() => parseFileHashes('[')).toThrow(/not JSON/);
  });
});
