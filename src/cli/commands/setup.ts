import path from 'node:path';
import {
  type AnswersInput,
  BlueprintError,
  type SetupChange as Change,
  ExitCode,
  type LoadedSpec,
  NotFoundError,
  type SetupOps,
  UsageError,
} from '../../app/index.js';
import { encryptionOutcomeText } from '../../present/encryption.js';
import { shownHint } from '../../present/root-in-hints.js';
import {
  changesJson,
  formatChange,
  formatChanges,
  restartNeededLine,
  setupNextSteps,
} from '../../present/setup.js';
import { cliBox } from '../box.js';
import { type CommandSpec, optBool, optString, optStrings, type Parsed } from '../command.js';
import type { Context } from '../context.js';
import { afterApplying, beforeApplying } from './setup-apply-error.js';
import { byFlag, failureByFlag } from './setup-flag-errors.js';

/**
 * Loads the spec with `load`, plans, then applies (or only prints with --dry-run). Shared by setup
 * and apply. The core (zod, yaml, and OpenPGP when keys are involved) loads only here, so
 * `--help` stays fast. `unattended`: nobody reads the output (headless provisioning, whose output
 * the journal keeps), so a recovery key may only go to encryption.recoveryKeyFile.
 */
export async function runSpec(
  ctx: Context,
  load: (setup: SetupOps) => Promise<LoadedSpec>,
  dryRun: boolean,
  opts: { unattended?: boolean; nextSteps?: boolean } = {},
): Promise<number> {
  const setup = cliBox(ctx).setup;
  const loaded = await load(setup);
  const choice = loaded.encryption;
  if (opts.unattended && choice && choice.mode !== 'none' && !choice.recoveryKeyFile)
    throw new UsageError(
      `encryption.mode ${choice.mode} without encryption.recoveryKeyFile: unattended setup has nobody to show the recovery key to, and its output is kept in the journal`,
      'Add encryption.recoveryKeyFile (e.g. /var/lib/blueprint/recovery-key.txt; /root is read-only on the A/B image) to the answers, and move that file off the box afterwards; nothing was written.',
    );
  // Refused before anything is written: a TPM asked for on a box without one (issue 23).
  if (choice) await setup.checkEncryption(choice);
  const plan = await setup.plan(loaded);
  if (dryRun) {
    // The running services it would leave to restart (Ansible's --check sees its handlers' work).
    const restart = await setup.restartNeeded(plan, await setup.pending(plan));
    ctx.result(
      {
        dryRun: true,
        root: ctx.root,
        changes: changesJson(plan.changes),
        blocked: plan.blocked,
        egress: plan.egress,
        restartNeeded: restart.map((r) => r.name),
      },
      [
        formatChanges(plan.changes),
        ...restart.map((r) => shownHint(restartNeededLine(r, true))),
        // What the firewall will let out (issue 19): everything else is dropped and counted.
        `allowed out: ${plan.egress.map((d) => `${d.proto} ${d.host === '*' ? 'any' : d.host}:${d.port} (${d.purpose})`).join(', ') || 'nothing'}`,
        ...plan.blocked.map((b) => `blocked: ${b}`),
        ...sshOffSteps(plan.spec, plan.changes),
      ].join('\n'),
    );
    return plan.blocked.length ? ExitCode.failure : ExitCode.ok;
  }
  // apply refuses a blocked plan too, but only after the partition below was encrypted.
  if (plan.blocked.length)
    throw new BlueprintError(
      `Cannot apply: ${plan.blocked.join('; ')}`,
      'blocked',
      // Encryption is said only where the answers asked for it (apply never encrypts).
      choice && choice.mode !== 'none'
        ? 'Nothing was written, and the data partition was not encrypted.'
        : 'Nothing was written.',
    );
  // Encrypted before apply writes setup's marker, which ends the first boot's wizard on the image:
  // a second run finds it encrypted and does nothing (issue 23, docs/encryption.md).
  // Held from before the encryption to the apply's end, as the wizard holds it: no other setup takes
  // the box in between; one holding it refuses this one, nothing encrypted.
  const hold = choice ? await setup.hold(plan) : undefined;
  const encryption = choice
    ? await setup.encrypt(choice).catch(async (err: unknown) => {
        await hold?.release();
        throw err;
      })
    : undefined;
  // The recovery key is out before apply runs: an apply that fails (or a box that loses power)
  // must not take the only copy with it. --json has one document: the result's, or the error's.
  if (encryption && !ctx.json) ctx.result(encryption, encryptionOutcomeText(encryption));
  // A failure part-way leaves what was done before it: --json's error says what that was (the
  // text lines said each as it began), so Ansible's task is failed and changed.
  const made: Change[] = [];
  const result = await setup
    .apply(plan, {
      signal: ctx.signal,
      onChange: (c) => ctx.info(formatChange(c)),
      onDone: (c) => made.push(c),
      ...(hold ? { hold } : {}),
    })
    .catch(async (err: unknown) => {
      const restart = made.length ? await setup.restartNeeded(plan, made).catch(() => []) : [];
      throw afterApplying(err, made, ctx, encryption, restart);
    });
  ctx.report(
    {
      root: ctx.root,
      changed: changesJson(result.changed),
      commands: result.commands,
      // For a handler: the services to restart for the change to take effect (docs/fleet.md).
      restartNeeded: result.restartNeeded.map((r) => r.name),
      egress: plan.egress,
      ...(encryption ? { encryption } : {}),
    },
    [
      result.changed.length
        ? `${result.changed.length} change(s) applied to ${ctx.root}.${plan.root !== '/' ? bootNote(result.changed) : ''}`
        : 'Nothing to change: the box already matches.',
      ...result.restartNeeded.map((r) => shownHint(restartNeededLine(r))),
      // setup's answers make the one admin: how to log in now, or that nobody can (QA14).
      ...(opts.nextSteps
        ? nextSteps(
            loaded.spec,
            await cliBox(ctx)
              .audit.addresses()
              .catch(() => []),
          )
        : sshOffSteps(plan.spec, result.changed)),
    ].join('\n'),
  );
  return ExitCode.ok;
}

function nextSteps(spec: LoadedSpec['spec'], addresses: string[]): string[] {
  const admin = spec.users?.find((u) => u.admin);
  return admin
    ? setupNextSteps(
        {
          hostname: spec.hostname,
          admin: admin.name,
          ssh: Boolean(spec.ssh?.enabled),
          consolePassword: Boolean(admin.passwordHash),
        },
        addresses,
      )
    : [];
}

/**
 * apply turning SSH off on a box with an admin: that nobody can log in from then on (the admin has
 * no password, root is locked; QA14's walk). The description's to ask, so said, not refused.
 */
function sshOffSteps(spec: LoadedSpec['spec'], changes: Change[]): string[] {
  const off = changes.some(
    (c) => c.action === 'delete' && c.target.endsWith('/multi-user.target.wants/ssh.service'),
  );
  return off ? nextSteps({ ...spec, ssh: { ...spec.ssh, enabled: false } }, []) : [];
}

/** What is done through the package manager and the engine: in effect at once, on any root. */
const AT_ONCE = new Set(['key', 'repository', 'package', 'service', 'system', 'marker']);

/** A module's resource overrides and settings: read at its service's next start, not at boot. */
const MODULE_FILE = /^etc\/blueprint\/(overrides|settings)\//;

/**
 * On a root other than /, system files (host name, SSH, firewall) wait for that root's next boot;
 * keys, repositories, packages and services were changed now (a service runs on the engine), and a
 * module's overrides and settings at its service's next start (said per running service).
 */
function bootNote(changed: Change[]): string {
  const files = changed.some((c) => !AT_ONCE.has(c.kind) && !MODULE_FILE.test(c.target));
  const now = changed.some((c) => c.kind === 'package' || c.kind === 'service' || c.kind === 'system');
  if (!files) return '';
  return ` Its system files take effect at the next boot of that root${now ? '; module changes are done now' : ''}.`;
}

const ANSWER_FLAGS = [
  'hostname',
  'timezone',
  'admin',
  'key',
  'ssh',
  'dashboard',
  'password-hash',
  'repo-url',
  'repo-key',
  'repo-fingerprint',
  'module',
];

const KEY_HINT = '--key takes an SSH public key line or the path of a .pub file (e.g. ~/.ssh/id_ed25519.pub)';

/** `--key` takes a key line or the path of a .pub file (read as an untrusted file: no FIFO, 1 MiB). */
async function keyArg(setup: SetupOps, v: string): Promise<string> {
  if (/^(ssh-|ecdsa-|sk-)/.test(v)) return v;
  // A name that is not there is said plainly (it was 'Cannot read F: ENOENT').
  const { lstat } = process.getBuiltinModule('node:fs/promises');
  if (!(await lstat(path.resolve(v)).catch(() => undefined)))
    throw new NotFoundError(`${v} does not exist`, KEY_HINT);
  const text = await setup.readArgFile(path.resolve(v), KEY_HINT);
  return text.trim().split('\n')[0] ?? '';
}

/** The same answers as a file, from flags: missing ones are reported by the schema, by name. */
async function answersFromFlags(parsed: Parsed, setup: SetupOps): Promise<AnswersInput> {
  const url = optString(parsed, 'repo-url');
  const keys = await Promise.all(optStrings(parsed, 'key').map((v) => keyArg(setup, v)));
  return {
    hostname: optString(parsed, 'hostname') as string,
    ...(optString(parsed, 'timezone') ? { timezone: optString(parsed, 'timezone') } : {}),
    admin: {
      name: optString(parsed, 'admin') ?? 'admin',
      keys,
      ...(optString(parsed, 'password-hash') ? { passwordHash: optString(parsed, 'password-hash') } : {}),
    },
    ssh: { enabled: optBool(parsed, 'ssh'), port: 22 },
    dashboard: { enabled: optBool(parsed, 'dashboard') },
    ...(url
      ? {
          repository: {
            name: 'main',
            url,
            key: optString(parsed, 'repo-key') as string,
            ...(optString(parsed, 'repo-fingerprint')
              ? { fingerprint: optString(parsed, 'repo-fingerprint') }
              : {}),
          },
        }
      : {}),
    modules: optStrings(parsed, 'module').map((name) => ({ name })),
  } as AnswersInput;
}

export const setupCommand: CommandSpec = {
  name: 'setup',
  summary: 'First-boot setup: host name, time zone, admin and SSH key, SSH, firewall, repository, modules',
  options: {
    answers: { type: 'string', value: 'FILE', description: 'Answers as YAML or JSON: no prompts' },
    'dry-run': { type: 'boolean', description: 'Print what would change; write nothing' },
    unattended: {
      type: 'boolean',
      description:
        'Nobody reads the output (headless provisioning): encryption needs encryption.recoveryKeyFile',
    },
    hostname: { type: 'string', value: 'NAME', description: 'Instead of a file: the host name' },
    timezone: { type: 'string', value: 'ZONE', description: 'Time zone (default UTC)' },
    admin: { type: 'string', value: 'USER', description: 'Admin user name (default admin)' },
    key: {
      type: 'string',
      multiple: true,
      value: 'KEY|FILE',
      description: "Admin's SSH public key or .pub file",
    },
    ssh: { type: 'boolean', description: 'Let SSH listen (off by default)' },
    'password-hash': {
      type: 'string',
      value: 'HASH',
      description:
        "Admin's console password as a crypt(3) hash (openssl passwd -6 -stdin); needed with SSH off",
    },
    dashboard: {
      type: 'boolean',
      description: 'Turn on the web dashboard (unix socket only; admins reach it with ssh -L)',
    },
    'repo-url': { type: 'string', value: 'URL', description: 'Package repository URL' },
    'repo-key': { type: 'string', value: 'FILE', description: "Repository's armored public key" },
    'repo-fingerprint': { type: 'string', value: 'FPR', description: "That key's fingerprint (required)" },
    module: { type: 'string', multiple: true, value: 'NAME', description: 'Module to install and start' },
  },
  details: `On a terminal with no --answers and no answer flags, opens the interactive wizard.
The wizard ends with 5 when another console set the box up meanwhile (its own setup not applied).
Flags: blueprint setup --hostname box-01 --admin ops --key ~/.ssh/id_ed25519.pub --ssh
Answers file (YAML or JSON):
  hostname: box-01
  timezone: Europe/Paris
  admin: { name: admin, keys: ["ssh-ed25519 AAAA... me@laptop"] }
  ssh: { enabled: true }                      # off by default; key-only, no root login
  # SSH off: the admin logs in on the console and serial line with a console password, given as its
  # crypt(3) hash, never the password:  admin: { name: ops, keys: [...], passwordHash: "$6$..." }
  # (printf '%s\\n' 'PASSWORD' | openssl passwd -6 -stdin -salt "rounds=500000\\$$(openssl rand -hex 8)";
  #  or mkpasswd -m yescrypt: the image's login.defs asks 500,000 rounds, openssl's default is 5,000)
  dashboard: { enabled: true }                # off by default; ssh -L 8080:/run/blueprint/dashboard.sock
  repository: { name: main, url: https://repo.example/bp, key: repo.asc, fingerprint: "ABCD..." }
  modules: [{ name: llm, state: running }]   # or names: [embeddings, vectors]; from the repository or
                                             # the image's offline catalog (/usr/share/blueprint/catalog)
  encryption: { mode: tpm, recoveryKeyFile: /var/lib/blueprint/recovery-key.txt }
                    # first boot, blank data partition only: tpm | passphrase (+ passphrase: ...) | none;
                    # the recovery key goes to that file (0600) or is printed once (docs/encryption.md);
                    # with --unattended (headless provisioning) the file is required; a folder
                    # recovery-keys on the BLUEPRINT disk gets a copy too (image/README.md)
Bad or missing answers fail with the field named, before anything is written (exit 2; a repository
key refused as such, 4: no OpenPGP key, not the pinned fingerprint, no user ID it certified).
Running it again with the same answers changes nothing.`,
  // Every error's --json document says what was changed (`changed`, [] before anything was), as apply's.
  run: (ctx, parsed) =>
    runSetup(ctx, parsed).catch((err: unknown) => {
      throw beforeApplying(err, ctx);
    }),
};

/** setup's run: answers from a file or flags applied, or the wizard on a terminal. */
async function runSetup(ctx: Context, parsed: Parsed): Promise<number> {
  const file = optString(parsed, 'answers');
  const dryRun = optBool(parsed, 'dry-run');
  const opts = { unattended: optBool(parsed, 'unattended'), nextSteps: true };
  // Answers come from the file or from flags: a flag beside the file was silently ignored.
  const flags = ANSWER_FLAGS.filter((f) => parsed.values[f] !== undefined);
  if (file && flags.length)
    throw new UsageError(
      `--answers and ${flags.map((f) => `--${f}`).join(', ')} do not go together`,
      'Put those answers in the answers file, or leave --answers out and give them all as flags.',
    );
  if (!file && flags.length)
    return runSpec(
      ctx,
      async (setup) => setup.fromAnswers(await answersFromFlags(parsed, setup), process.cwd(), 'setup flags'),
      dryRun,
      opts,
    ).catch((err: unknown) => {
      if (err instanceof UsageError) throw byFlag(err);
      throw err instanceof BlueprintError ? failureByFlag(err) : err;
    });
  if (!file) {
    if (!ctx.interactive || ctx.json || opts.unattended)
      throw new UsageError(
        'No terminal for the wizard and no --answers file',
        'Run `blueprint setup --answers FILE` (see `blueprint setup --help` for the format).',
      );
    const { openConsole } = await import('./tui.js');
    return openConsole(ctx, { screen: 'setup' });
  }
  return runSpec(ctx, (setup) => setup.fromAnswersFile(file), dryRun, opts);
}
