/**
 * A token per consumer (client-tokens.ts): a module that uses a provider taking them
 * (`socket.clientTokens`) gets its own token for it, mounted at /run/blueprint/tokens/PROVIDER, not
 * the admin's; the provider's `client-tokens` lists the consumers that declare it, and only those;
 * the kit (modules/kit/server/clients.ts) names the consumer from that file. Without the engine:
 * planUses, sandboxPolicy, writeTokenCopies and shareWiring as ensureContainer calls them (real
 * files, a real setfacl), and the kit's reader on what blueprint wrote.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClientTokens } from '../../modules/kit/server/clients.js';
import { consumerToken, dropConsumer } from '../../src/core/services/client-tokens.js';
import { NO_GPU, sandboxPolicy, serviceDirs } from '../../src/core/services/policy.js';
import { deleteRegistration, findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { usesText } from '../../src/present/services.js';
import { consumerSpec, image, providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
let root: string;
const asConsumer = consumerSpec();
const tokensOf = (name: string) => path.join(serviceDirs(root, name).dataDir, 'client-tokens');

/** What ensureContainer does for a consumer: plan, the copies' folder, then the copies (gid 4242). */
async function startConsumer(name: string) {
  const reg = (await findRegistration(root, name))!;
  const used = await planUses(root, reg);
  await writeTokenCopies(root, name, used);
  await shareWiring(used, 4242);
  return used;
}

beforeEach(async () => {
  root = tokenRoot('bp-client-tokens-');
  await register(root, 'llm', providerSpec('llm', true));
  await register(root, 'vectors', providerSpec('vectors', true));
  await register(root, 'old', providerSpec('old', false)); // a provider that knows one token only
  await register(root, 'rag', asConsumer, ['llm>=1.0.0', 'old']);
  await register(root, 'other', asConsumer, ['vectors']);
  // The admin set llm's and old's tokens.
  for (const p of ['llm', 'old']) {
    mkdirSync(serviceDirs(root, p).dataDir, { recursive: true });
    writeFileSync(path.join(serviceDirs(root, p).dataDir, 'access-token'), `${ADMIN}\n`);
  }
});

describe('a consumer gets its own token for a provider that takes them, never the admin token', () => {
  it('the runtime mounts the consumer token at /run/blueprint/tokens/llm; the provider is told where its file is', async () => {
    const used = await startConsumer('rag');
    const llm = used.find((u) => u.name === 'llm')!;
    const copy = readFileSync(llm.tokenFile!, 'utf8').trim();
    expect(copy).not.toBe(ADMIN);
    expect(copy).toBe(await consumerToken(root, 'llm', 'rag'));
    expect(copy).toMatch(/^[\w-]{43}$/);
    const st = statSync(llm.tokenFile!);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 4242, 0o440]);
    // A provider that does not take them: the admin's token, as before.
    expect(readFileSync(used.find((u) => u.name === 'old')!.tokenFile!, 'utf8').trim()).toBe(ADMIN);

    const p = sandboxPolicy({
      root,
      name: 'rag',
      version: '1.0.0',
      prefix: path.join(root, 'opt/rag'),
      service: asConsumer,
      approvals: { outboundNetwork: false },
      gpu: NO_GPU,
      seccompProfile: '/x/seccomp.json',
      uses: used,
    });
    expect(p.summary.mounts).toContainEqual({
      source: llm.tokenFile,
      target: '/run/blueprint/tokens/llm',
      mode: 'ro',
    });
    expect(p.spec.env).toMatchObject({ BLUEPRINT_USES_LLM_TOKEN_FILE: '/run/blueprint/tokens/llm' });
    // inspect and status say there is a token, never which.
    expect(JSON.stringify(p.summary)).not.toContain(copy);
    expect(usesText(p.summary.uses[0]!)).toMatch(/, its own token \/run\/blueprint\/tokens\/llm$/);
    const llmPolicy = sandboxPolicy({
      root,
      name: 'llm',
      version: '1.0.0',
      prefix: path.join(root, 'opt/llm'),
      service: providerSpec('llm', true),
      approvals: { outboundNetwork: false },
      gpu: NO_GPU,
      seccompProfile: '/x/seccomp.json',
    });
    expect(llmPolicy.spec.env).toMatchObject({ BLUEPRINT_CLIENT_TOKENS_FILE: '/var/lib/llm/client-tokens' });
  });

  it("the provider's file names the consumer, the kit knows it by that token; the admin need not have set one", async () => {
    await startConsumer('rag');
    await startConsumer('other');
    const ragToken = await consumerToken(root, 'llm', 'rag');
    expect(new ClientTokens(tokensOf('llm')).identify(ragToken)).toBe('rag');
    const st = statSync(tokensOf('llm'));
    expect(st.mode & 0o777).toBe(0o440);
    // vectors has no admin token; other is known to it all the same.
    expect(
      new ClientTokens(tokensOf('vectors')).identify(await consumerToken(root, 'vectors', 'other')),
    ).toBe('other');
    // No token is written for the provider that does not take them.
    expect(existsSync(tokensOf('old'))).toBe(false);
  });

  it("attack: a consumer's token opens no provider it did not declare", async () => {
    await startConsumer('rag');
    await startConsumer('other');
    const vectors = new ClientTokens(tokensOf('vectors'));
    // rag's token for llm, and one made for vectors as if rag had declared it: vectors knows neither.
    expect(vectors.identify(await consumerToken(root, 'llm', 'rag'))).toBeUndefined();
    expect(vectors.identify(await consumerToken(root, 'vectors', 'rag'))).toBeUndefined();
    expect(readFileSync(tokensOf('vectors'), 'utf8')).not.toMatch(/^rag /m);
    // other's token for vectors is not llm's.
    expect(
      new ClientTokens(tokensOf('llm')).identify(await consumerToken(root, 'vectors', 'other')),
    ).toBeUndefined();
  });

  it("a consumer removed: the provider's file is written again without it, and its token opens nothing", async () => {
    await startConsumer('rag');
    const ragToken = await consumerToken(root, 'llm', 'rag');
    await startConsumer('other');
    await register(root, 'more', asConsumer, ['llm']);
    await startConsumer('more');
    expect(new ClientTokens(tokensOf('llm')).identify(ragToken)).toBe('rag');
    await deleteRegistration(root, 'rag', '1.0.0');
    const warned: string[] = [];
    // What bpkg remove's hook does (hooks.ts afterRemove), with rag's manifest `uses`.
    await dropConsumer(root, ['llm>=1.0.0', 'old'], (l) => warned.push(l));
    expect(warned).toEqual([]);
    expect(readFileSync(tokensOf('llm'), 'utf8')).toBe(`more ${await consumerToken(root, 'llm', 'more')}\n`);
    expect(new ClientTokens(tokensOf('llm')).identify(ragToken)).toBeUndefined();
  });

  it("a consumer upgraded to a version that no longer uses llm: llm's file drops it at the old version's removal", async () => {
    await startConsumer('rag');
    mkdirSync(path.join(root, 'opt', 'rag2'), { recursive: true });
    await writeRegistration(root, {
      name: 'rag',
      version: '2.0.0',
      prefix: path.join(root, 'opt', 'rag2'),
      spec: asConsumer,
      approvals: { outboundNetwork: false },
      imageId: image.id,
      uses: ['old'],
    });
    await deleteRegistration(root, 'rag', '1.0.0');
    await dropConsumer(root, ['llm>=1.0.0', 'old'], () => undefined);
    expect(existsSync(tokensOf('llm'))).toBe(false);
  });

  it('attack: a link the provider left at client-tokens (its own folder) is replaced, not written through', async () => {
    const victim = path.join(tempDir('bp-client-victim-'), 'shadow');
    writeFileSync(victim, 'root:x:0:0\n');
    mkdirSync(serviceDirs(root, 'llm').dataDir, { recursive: true });
    symlinkSync(victim, tokensOf('llm'));
    await startConsumer('rag');
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
    expect(lstatSync(tokensOf('llm')).isFile()).toBe(true);
  });

  it("the box key is root's, 0600, made once: a consumer's token is the same at every start", async () => {
    const first = await consumerToken(root, 'llm', 'rag');
    const key = path.join(layout(root).stateDir, 'client-token-key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(await consumerToken(root, 'llm', 'rag')).toBe(first);
    expect(await consumerToken(root, 'llm', 'other')).not.toBe(first);
  });

  it('a key that is not whole, or a link at its name, is refused with its hint, never followed or replaced', async () => {
    const key = path.join(layout(root).stateDir, 'client-token-key');
    writeFileSync(key, 'short', { mode: 0o600 });
    await expect(consumerToken(root, 'llm', 'rag')).rejects.toMatchObject({ code: 'bad-client-key' });
    const elsewhere = path.join(tempDir('bp-client-key-'), 'key');
    writeFileSync(elsewhere, Buffer.alloc(32, 7), { mode: 0o600 });
    rmSync(key);
    symlinkSync(elsewhere, key);
    await expect(consumerToken(root, 'llm', 'rag')).rejects.toMatchObject({ code: 'bad-client-key' });
    expect(lstatSync(key).isSymbolicLink()).toBe(true);
  });
});
