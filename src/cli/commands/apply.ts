import { UsageError } from '../../app/index.js';
import { type CommandSpec, optBool, optString, type Parsed } from '../command.js';
import type { Context } from '../context.js';
import { runSpec } from './setup.js';
import { beforeApplying } from './setup-apply-error.js';

export const applyCommand: CommandSpec = {
  name: 'apply',
  summary: 'Make the box match a declarative description (appliance.yaml); idempotent',
  args: '[FILE]',
  options: {
    file: { type: 'string', short: 'f', value: 'FILE', description: 'The description, YAML or JSON' },
    'dry-run': { type: 'boolean', description: 'Print the plan; write nothing' },
  },
  details: `appliance.yaml:
  hostname: box-01
  timezone: UTC
  users:
    - { name: admin, admin: true, keys: ["ssh-ed25519 AAAA... ops@fleet"] }
  ssh: { enabled: true, port: 22 }
  dashboard: { enabled: true }     # blueprint-web.service, unix socket only (off on a new box)
  repositories:
    - { name: main, url: https://repo.example/bp, key: keys/main.asc, fingerprint: "ABCD..." }
    - name: fleet                  # url (and mirrors): https://, file:///, oci:// or s3://, as repo add
      url: s3://fleet-repo/stable  # takes them; S3 and registry logins are the box's files
      mirrors: ["oci://ghcr.io/owner/modules"]   # optional: the whole list
      key: keys/fleet.asc
      fingerprint: "EF01..."
  modules:
    - { name: llm, state: running, resources: { memory: 8g, cpus: 4 } }
  system: { version: 2.0.0, from: main }   # A/B boxes: installed into the other slot; reboot to run it
  network: { allow: ["objects.example.org:443"], ntp: none, dns: { servers: ["9.9.9.9"] } }
                                   # the box sends nothing out but these, its repositories, DNS and
                                   # NTP (docs/egress.md); given, the section is whole: dns or ntp
                                   # left out go back to their defaults (docs/fleet.md)
A section left out (timezone, users, ssh, dashboard, network) stays as the box has it
(docs/fleet.md). A repository's mirrors are the whole list: one left out is taken off the box.
A module or repository the file does not name is left as the box has it (\`modules: []\` removes
nothing): \`state: absent\` removes a module, and a repository (\`- { name: NAME, state: absent }\`,
its name alone, as \`bpkg repo remove NAME\`: what was installed from it stays, not upgraded).
Applying twice changes nothing the second time. Exit codes: 0 applied or nothing to do;
1 the plan refused (a \`blocked:\` line) or a repository's index not fetched; 2 invalid file (the
field is named); 3 the file is not there; 4 a repository key refused (not its pinned fingerprint,
no OpenPGP key, no user ID it certified); 5 another setup or apply is running. For those nothing
was written. A failure while applying (6 the container engine does not answer; an install refused)
leaves what was done before it: the next apply does the rest. A running service whose resources or
settings changed keeps the old ones until it is restarted: each is named, with
\`blueprint service restart NAME\` (--json: restartNeeded).`,
  // Every error's --json document says what was changed (`changed`, [] before anything was).
  run: (ctx, parsed) =>
    applyFile(ctx, parsed).catch((err: unknown) => {
      throw beforeApplying(err, ctx);
    }),
};

async function applyFile(ctx: Context, parsed: Parsed): Promise<number> {
  const flag = optString(parsed, 'file');
  const [positional] = parsed.positionals;
  if (flag !== undefined && positional !== undefined)
    throw new UsageError(
      `Give one description: -f ${flag} or ${positional}, not both`,
      'Example: `blueprint apply -f appliance.yaml --dry-run`',
    );
  const file = flag ?? positional;
  if (!file)
    throw new UsageError('Missing -f FILE', 'Example: `blueprint apply -f appliance.yaml --dry-run`');
  return runSpec(ctx, (setup) => setup.fromSpecFile(file), optBool(parsed, 'dry-run'));
}
