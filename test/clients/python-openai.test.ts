/**
 * A client we did not write: the official `openai` Python package (pinned in requirements.txt,
 * installed by scripts/setup-host.sh) against the real llm module in the Podman sandbox, over its
 * unix socket (httpx's HTTPTransport(uds=…), base_url http://localhost/v1), with the service's
 * access token. openai_client.py makes the calls and prints what the client returned; the
 * assertions are here. The JS clients (openai npm, ollama) are tested in test/llm.
 */
import { describe, expect, it } from 'vitest';
import { llmModuleE2E } from '../helpers/llm-e2e.js';
import { runOpenAiPython, venvPython } from './python-venv.js';

const name = `llm-py-${process.pid}`;
const e = llmModuleE2E('bp-llm-py-', name);
const socket = e.socket(name);
let token = '';

// biome-ignore lint/suspicious/noExplicitAny: the script's JSON is checked field by field
type Json = any;

describe('llm module with the official Python openai client on its unix socket', () => {
  it('the venv with the pinned client is there (scripts/setup-host.sh makes it)', () => {
    expect(venvPython()).toMatch(/pyclients\/bin\/python$/);
  });

  it("models, chat whole and streamed, embeddings; a wrong token and a bad request as the client's errors", async () => {
    token = (await e.blueprint('service', 'token', name)).token as string;
    expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const r: Json = await runOpenAiPython('llm', socket, token);
    expect(r.client).toEqual({ openai: '3.22.1', transport: 'httpx2' });
    expect(r.models).toEqual(['tiny-llama']);
    expect(r.whole).toMatchObject({
      object: 'chat.completion',
      finish_reason: 'length',
      completion_tokens: 8,
    });
    expect(r.whole.text.length).toBeGreaterThan(0);
    // Greedy, so the streamed pieces join to the same text, and it ends for the same reason.
    expect(r.stream).toMatchObject({ text: r.whole.text, finish_reason: 'length' });
    expect(r.stream.chunks).toBeGreaterThan(2);
    // The tiny llama's 64-wide embeddings, normalised as OpenAI's are.
    expect(r.embeddings).toMatchObject({ count: 2, dimensions: [64, 64], norms: [1, 1] });
    expect(r.embeddings.prompt_tokens).toBeGreaterThan(0);
    expect(r.wrong_token).toMatchObject({
      error: 'AuthenticationError',
      status: 401,
      code: 'invalid_api_key',
      type: 'authentication_error',
    });
    // The command for the name it is installed under, not the module's default name (04d8592e).
    expect(r.wrong_token.message).toContain(`\`blueprint service token ${name}\``);
    expect(r.bad_request).toMatchObject({
      error: 'BadRequestError',
      status: 400,
      param: 'temperature',
      type: 'invalid_request_error',
      message: "'temperature' must be a number from 0 to 2",
    });
    expect(r.bad_request.client_message).toMatch(
      /^Error code: 400 - .*'temperature' must be a number from 0 to 2/,
    );
  }, 300_000);

  it('a client pointed elsewhere fails the run (the check above does talk to the service)', async () => {
    await expect(
      runOpenAiPython('llm', socket, token, { baseUrl: 'http://localhost/nowhere' }),
    ).rejects.toThrow(/openai_client\.py llm failed[\s\S]*NotFoundError/);
    await e.blueprint('service', 'stop', name);
  }, 120_000);
});
