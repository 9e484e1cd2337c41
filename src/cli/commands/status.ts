import { ExitCode } from '../../app/index.js';
import { servicesUnreadExitCode } from '../../app/system.js';
import { errorBlock } from '../../present/escape.js';
import { statusText, withNote } from '../../present/host.js';
import { shownHint } from '../../present/root-in-hints.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';

/**
 * The box at a glance, for people and for fleets (`ssh box blueprint --json status`): the same
 * `status()` the TUI dashboard and the web overview show. A part that cannot be read (no engine)
 * says why instead of failing. The engine that could not be asked is also the exit code (6, as
 * `docker info` exits non-zero with the daemon down), so that a script or Ansible's `rc` sees it
 * while the rest of the box is still shown.
 */
export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Summary of the box: host, system, setup, packages, services, network exposure, egress',
  details: `Besides the host, packages, services, exposure and encryption (--json: their fields as before):
  system   the running OS version and, where RAUC's A/B slots are readable, which slot is booted
           and which boots next; RAUC is given 5 s, and slots it cannot tell (no A/B slots, busy
           installing, no answer) are 'unknown (why)', never a failure (--json: system {version,
           bootedSlot, nextSlot, slotsAvailable, slotsUnavailable {code, message}})
  services each one's state and, for a running module, what it says of itself when asked in 1 s
           (its GET /info): the llm's loaded models ('llm running (loaded tiny, q8 until 10:05
           UTC)'), another module's model; one that did not answer in that time is said so
           (--json: services[].info {model, models, loaded, …}, infoUnanswered true)
  egress   default deny or not (the root's firewall rules), how many destinations are allowed out
           and the first three (--json: egress {policy deny|none|other, destinations ["host:port"],
           error}: the whole list; none before setup)

Exit codes:
  0    the status was read; a part that cannot be read (the packages or the services without root)
       says why in its place
  6    the container engine could not be asked for the services (none at its socket, or it did not
       answer within 30 s): the whole status is still printed, the services 'unknown (why)' (--json:
       services is {error, code, hint}), and the error is said on stderr
A box with no services installed does not ask the engine: 0.`,
  async run(ctx) {
    const data = await cliBox(ctx).status();
    const unread = Array.isArray(data.services) ? undefined : data.services;
    // Its commands on the box this command line names, as an error's hint (present/root-in-hints.ts).
    if (unread?.hint) unread.hint = shownHint(unread.hint);
    // --json as before: a listener's reason in words (`note`) beside its code (`role`).
    const exposure = { ...data.exposure, listeners: data.exposure.listeners.map(withNote) };
    ctx.result({ ...data, exposure }, statusText(data));
    if (!unread || servicesUnreadExitCode(unread) !== ExitCode.engine) return ExitCode.ok;
    // Why the exit code is not 0, where a log keeps it (stdout holds the status, as it did).
    const red = ctx.color ? ['\x1b[31m', '\x1b[0m'] : ['', ''];
    ctx.stderr.write(`${red[0]}error:${red[1]} ${errorBlock(unread.error)}\n`);
    if (unread.hint) ctx.stderr.write(`hint: ${errorBlock(unread.hint)}\n`);
    return ExitCode.engine;
  },
};
