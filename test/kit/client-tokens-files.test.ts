/**
 * What the kit's reader of client-tokens (modules/kit/server/clients.ts) does with files the
 * module's own folder may hold, and with names and tokens that look like others': checked in the
 * round-3 review of the token per consumer. The module owns the folder, so this guards the module
 * against its own mistakes (and a blueprint bug), not against another user: nothing here may hang
 * the event loop, read without bound, or name a client "admin" that is not the admin.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientNames, ClientTokens } from '../../modules/kit/server/clients.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';

const fileWith = (text: string) => {
  const file = join(tempDir('kit-ctf-'), 'client-tokens');
  writeFileSync(file, text);
  return file;
};

describe('client-tokens: files that are not what blueprint writes', () => {
  it('a FIFO at the name: no consumer, and no wait for a writer', () => {
    const file = join(tempDir('kit-ctf-'), 'client-tokens');
    execFileSync('mkfifo', [file]);
    const t0 = Date.now();
    const t = new ClientTokens(file);
    expect(t.identify(RAG)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a sparse 1 GiB file: not read (over 64 KiB), no consumer', () => {
    const file = join(tempDir('kit-ctf-'), 'client-tokens');
    writeFileSync(file, `rag ${RAG}\n`);
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, 2 ** 30);
    closeSync(fd);
    const before = process.memoryUsage().arrayBuffers;
    const t = new ClientTokens(file);
    expect(t.identify(RAG)).toBeUndefined();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });
});

describe('client-tokens: names and tokens that look like others', () => {
  it("a line with the admin's token is the admin, never a consumer; a consumer named admin is consumer:admin", () => {
    const names = new ClientNames(ADMIN, fileWith(`rag ${ADMIN}\nadmin ${RAG}\n`));
    expect(names.of(`Bearer ${ADMIN}`)).toBe('admin');
    expect(names.of(`Bearer ${RAG}`)).toBe('consumer:admin');
  });

  it('one token under two names: the first line; a name in capitals or with odd characters: skipped', () => {
    const t = new ClientTokens(fileWith(`rag ${RAG}\nother ${RAG}\nRAG x${RAG}\nr\u0430g y${RAG}\n`));
    expect(t.identify(RAG)).toBe('rag');
    expect(t.identify(`x${RAG}`)).toBeUndefined();
    expect(t.identify(`y${RAG}`)).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('a header with two tokens, or a token with a space: no client', () => {
    const names = new ClientNames(ADMIN, fileWith(`rag ${RAG}\n`));
    expect(names.of(`Bearer ${RAG}, Bearer ${ADMIN}`)).toBeUndefined();
    expect(names.of(`Bearer ${RAG} x`)).toBeUndefined();
    expect(names.of(`bearer   ${RAG}  `)).toBe('consumer:rag');
  });
});
