import { UsageError } from '../../app/index.js';
import { tokenSetText } from '../../present/token-set.js';
import { cliBox } from '../box.js';
import { type CommandSpec, optBool, type Parsed, requirePositionals } from '../command.js';

/**
 * `blueprint service token` and `service rotate-tokens`: a module's access token, and the tokens
 * of the modules that use a provider (app/token-rotation.ts). The other service commands are in
 * service.ts.
 */

const nameArg = (parsed: Parsed) =>
  requirePositionals(parsed, 1, 'a service NAME', 'blueprint service token')[0]!;

export const token: CommandSpec = {
  name: 'token',
  summary: "Set a module's access token (a new random one, or one from stdin), or remove it",
  args: 'NAME',
  options: {
    stdin: { type: 'boolean', description: 'Read the token from standard input (16+ printable characters)' },
    remove: {
      type: 'boolean',
      description: 'Remove the token: any local client of the socket may use the API',
    },
  },
  details: `The token is the file access-token in the module's data folder, which the module's own user
writes: set it with this command rather than by writing the file by hand, which follows whatever
the module left at that name (a link to any file of the box). Without --stdin a new random token
is made and printed. Clients send it as \`Authorization: Bearer TOKEN\`; the modules that use this
one get it from blueprint. It applies at the next start: \`blueprint service restart NAME\` (and
restart the modules that use it). A module whose manifest names no such file to its server (an
environment variable naming DATA/access-token) cannot read a token: it is refused (exit 5), as it
would leave the API open while saying otherwise. --remove of a module with no token is "NAME has no
token, nothing to do", exit 0, no restart needed (--json changed: false), as \`bpkg remove\` of a
package not installed.
Example: blueprint service token llm`,
  async run(ctx, parsed) {
    const name = nameArg(parsed);
    const remove = optBool(parsed, 'remove');
    if (remove && optBool(parsed, 'stdin')) throw new UsageError('Give --stdin or --remove, not both');
    let given: string | undefined;
    if (optBool(parsed, 'stdin')) {
      // Not import(): this file is in the executable's start part (scripts/build.mjs maps only its own modules).
      given = process.getBuiltinModule('node:fs').readFileSync(0, 'utf8').trim();
    }
    const r = await cliBox(ctx).services.setToken(name, {
      ...(remove ? { remove: true } : {}),
      ...(given === undefined ? {} : { token: given }),
    });
    const made = given === undefined && r.token !== undefined;
    // -q: only what a script needs, the new token (TOKEN=$(blueprint -q service token NAME)).
    if (ctx.quiet && !ctx.json) {
      if (made) ctx.result(r, r.token);
      return;
    }
    ctx.result(r, `${tokenSetText(r)}${made ? `\n${r.token}` : ''}`);
  },
};

export const rotateTokens: CommandSpec = {
  name: 'rotate-tokens',
  summary: 'New tokens for the modules that use a provider (all, or CONSUMER): the old ones stop working',
  args: 'PROVIDER [CONSUMER]',
  options: {
    restart: { type: 'boolean', description: 'Restart the running consumers, which hold the old token' },
  },
  details: `For a provider that takes a token per consumer (socket.clientTokens: embeddings, llm, vectors).
A consumer's token is the same at every start, even after it is removed and installed again from
the same repository: rotate it when it may have leaked. The provider refuses the old token within a
second; a running consumer's token file holds the new one, which it takes at a 401 if it reads the
file again (rag does), else at its next start (--restart restarts the running ones). The
admin's own token is \`blueprint service token PROVIDER\`.
Example: blueprint service rotate-tokens llm rag --restart`,
  async run(ctx, parsed) {
    const [provider, consumer, more] = requirePositionals(
      parsed,
      1,
      'a PROVIDER',
      'blueprint service rotate-tokens',
    );
    if (more !== undefined) throw new UsageError('Give a PROVIDER and at most one CONSUMER');
    const r = await cliBox(ctx).services.rotateTokens(provider!, {
      ...(consumer === undefined ? {} : { consumer }),
      restart: optBool(parsed, 'restart'),
      signal: ctx.signal,
    });
    ctx.report(r, (await import('../../present/services.js')).rotationText(r));
  },
};
