/**
 * BLUEPRINT_DEBUG prints an unexpected error's stack after its report. The report is escaped (an
 * error's message may quote outside text: a server's answer, a file's name), the stack, which
 * starts with that same message, was written as it was: an escape sequence in the message reached
 * the terminal raw. In process: a write of the answer that throws stands in for the unexpected
 * error.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.BLUEPRINT_DEBUG;
});

it("escapes the stack BLUEPRINT_DEBUG prints, as it escapes the error's report", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bp-debug-'));
  process.env.BLUEPRINT_DEBUG = '1';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => {
    throw new Error('answer from \x1b]0;owned\x07 the server');
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const code = await runCli(['--root', root, 'version'], 'blueprint');
  vi.restoreAllMocks();
  expect(code).not.toBe(0);
  expect(err).toContain('answer from');
  expect(err).toContain('    at '); // the stack was printed
  expect(err).not.toContain('\x1b]0;');
});
