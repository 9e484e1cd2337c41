// vi.mock calls are hoisted above the imports: every module below sees the wrapped fs.
/**
 * `blueprint model import` reads the GGUF on the stick once. A hostile USB stick needs no race:
 * it can serve different bytes on every open. Here every open of the stick's file in this
 * process (node:fs and node:fs/promises) is wrapped: the first gets one model, every later one
 * another. What is installed, hashed and signed must be what the first read gave, and the file
 * must have been opened once.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

const hostile = vi.hoisted(() => {
  const state = { path: '', first: '', opens: 0 };
  const redirect = (p: unknown): unknown => {
    if (!state.path || (typeof p !== 'string' && !(p instanceof URL))) return p;
    const s = p instanceof URL ? decodeURIComponent(p.pathname) : p;
    if (s !== state.path) return p;
    state.opens++;
    return state.opens === 1 ? state.first : p;
  };
  return { state, redirect };
});

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const r = hostile.redirect as (p: unknown) => string;
  const wrapped = {
    createReadStream: (p: unknown, ...a: unknown[]) =>
      (real.createReadStream as (...x: unknown[]) => unknown)(r(p), ...a),
    openSync: (p: unknown, ...a: unknown[]) => (real.openSync as (...x: unknown[]) => unknown)(r(p), ...a),
    readFileSync: (p: unknown, ...a: unknown[]) =>
      (real.readFileSync as (...x: unknown[]) => unknown)(r(p), ...a),
  };
  return { ...real, ...wrapped, default: { ...real, ...wrapped } };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const r = hostile.redirect as (p: unknown) => string;
  const wrapped = {
    open: (p: unknown, ...a: unknown[]) => (real.open as (...x: unknown[]) => unknown)(r(p), ...a),
    readFile: (p: unknown, ...a: unknown[]) => (real.readFile as (...x: unknown[]) => unknown)(r(p), ...a),
    copyFile: (p: unknown, ...a: unknown[]) => (real.copyFile as (...x: unknown[]) => unknown)(r(p), ...a),
  };
  return { ...real, ...wrapped, default: { ...real, ...wrapped } };
});

const work = tempDir('bp-import-once-');
afterAll(() => {
  hostile.state.path = '';
});

describe('model import from a stick that serves other bytes on a second read', () => {
  it('installs, hashes and signs what the one read gave', async () => {
    const stick = path.join(work, 'stick');
    mkdirSync(stick);
    // The stick's file as any later open sees it: the Q8_0 model. The first open: the F32 one.
    const file = path.join(stick, 'model.gguf');
    copyFileSync(Q8, file);
    Object.assign(hostile.state, { path: file, first: F32, opens: 0 });
    const root = path.join(work, 'root');
    const r = await openBox(root, { yes: true }).models.import(file, { name: 'once' });
    expect(hostile.state.opens).toBe(1);
    const installed = readFileSync(path.join(root, 'opt/blueprint/model-once/current/models/once/once.gguf'));
    expect(installed.equals(readFileSync(F32))).toBe(true);
    expect(r.source.bytes).toBe(readFileSync(F32).length);
    // The template and the name in the manifest come from the copy too (the F32 model's).
    expect(r.files['models/once/once.gguf']).toBe(r.source.sha256);
  });
});
