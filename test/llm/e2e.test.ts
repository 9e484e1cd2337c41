import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestVersion } from '../../scripts/catalog/fingerprint.js';
import { llmModuleE2E } from '../helpers/llm-e2e.js';
import { expectChangedFileRefused, expectRemovedWithoutTrace, podman } from '../helpers/module-e2e.js';
import { openAiOnSocket } from './helpers.js';

// The whole path a user takes, on the real engine: build and sign a repository holding the llm
// module (FROM-scratch image + tiny llama), install it with bpkg, start it in the Podman sandbox,
// chat through its unix socket with the official openai client, tamper with the model, stop, remove.
const name = `llm-e2e-${process.pid}`;
const e = llmModuleE2E('bp-llm-e2e-', name);
const socket = e.socket(name);
const installed = e.installed(name, manifestVersion('llm')); // the recipe's version: the manifest's
const blueprint = e.blueprint;
const client = () => openAiOnSocket(socket);
let imageId = '';

describe('llm module end to end (signed repository, Podman sandbox)', () => {
  it('starts healthy and answers the openai client, whole and streamed', async () => {
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const c = client();
    const info = (await c.get('/../info')) as Record<string, unknown>;
    expect(info).toMatchObject({
      model: 'tiny-llama',
      contextLength: 256,
      quantisation: 'F32',
      device: 'cpu',
    });
    expect(info.threads).toBe(2); // the manifest's 2 CPUs, not every host core
    expect(info.memory).toMatchObject({ limitBytes: 256 * 1024 * 1024 }); // read from its cgroup
    const whole = await c.chat.completions.create({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Hello there' }],
      temperature: 0,
      max_tokens: 8,
    });
    expect(whole.choices[0]!.finish_reason).toBe('length');
    const stream = await c.chat.completions.create({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Hello there' }],
      temperature: 0,
      max_tokens: 8,
      stream: true,
    });
    let text = '';
    for await (const ch of stream) text += ch.choices[0]?.delta.content ?? '';
    expect(text).toBe(whole.choices[0]!.message.content);
    // service status carries what the module says it serves (its /info), for scripts and people.
    const status = (await blueprint('service', 'status', name)) as { services?: unknown[] } & Record<
      string,
      unknown
    >;
    expect(JSON.stringify(status)).toMatch(/"model":"tiny-llama"/);
    const plain = await e.run(['service', 'status', name]);
    expect(plain.stdout).toMatch(new RegExp(`${name}: model tiny-llama, context 256, device cpu \\(`));
    const logs = JSON.stringify(await blueprint('service', 'logs', name));
    expect(logs).toContain(
      'verified 1 model files of tiny-llama against its signed package (the llm package)',
    );
    expect(logs).toMatch(/memory: needs \d+ MiB \(weights .*\) of 256 MiB/); // the container's cgroup limit
  }, 240_000); // a start on a loaded 2-core CI machine

  it('runs sandboxed: read-only root, no capabilities, no network, its memory limit from the model', async () => {
    const inspect = JSON.parse(await podman('inspect', `blueprint-${name}`))[0];
    imageId = inspect.Image;
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    expect(inspect.HostConfig.Memory).toBe(256 * 1024 * 1024);
    const status = readFileSync(`/proc/${inspect.State.Pid}/status`, 'utf8');
    expect(status).toMatch(/CapEff:\s+0000000000000000/);
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(inspect.Config.User).toBe('1000:1000');
  });

  it('refuses to start when the model file no longer matches the signed manifest, naming it', async () => {
    await expectChangedFileRefused(
      e,
      name,
      join(installed, 'models/tiny-llama/tiny-llama-f32.gguf'),
      (original) => {
        const changed = Buffer.from(original);
        changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1); // one bit of one weight
        return changed;
      },
      /tiny-llama-f32\.gguf: sha256 [0-9a-f]{64} but the manifest says/,
    );
  });

  it('stops cleanly and leaves nothing behind when removed', async () => {
    await expectRemovedWithoutTrace(e, name, { imageId, installed });
  });
});
