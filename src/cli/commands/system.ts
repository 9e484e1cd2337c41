import { UsageError } from '../../app/types.js';
import { formatInstall, formatRollback, formatSystemReport } from '../../present/update.js';
import { cliBox } from '../box.js';
import { type CommandGroup, type CommandSpec, optBool, optString, requirePositionals } from '../command.js';

const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Both system slots: version, boot status, which is running and which boots next',
  details: `
Asks RAUC (the A/B update engine of boxes built with \`scripts/build-image.sh --ab\`). On a box
without A/B slots (no rauc, or no RAUC configuration) the running version is still shown and the
update slots are "unavailable", with why (--json: slotsAvailable false, slotsUnavailable).

Exit codes: 0 shown (slots unavailable included); 1 reading failed otherwise.

Examples:
  blueprint system status
  blueprint --json system status`,
  async run(ctx) {
    const st = await cliBox(ctx).system.report();
    ctx.result(st, formatSystemReport(st));
  },
};

const updateCommand: CommandSpec = {
  name: 'update',
  summary:
    'Install a signed system bundle (.raucb, or --from REPO) into the other slot; it boots next, on trial',
  args: '[FILE]',
  options: {
    force: { type: 'boolean', description: 'Install even when the version is not newer (a downgrade)' },
    from: {
      type: 'string',
      value: 'REPO',
      description: 'Take the newest system-bundle package of this repository (signed by its own key)',
    },
  },
  details: `
The bundle's signature is checked against this box's RAUC keyring (/etc/rauc/keyring.pem) before
a byte is written; so are its compatible and its version, which only goes up unless --force.
After a reboot the new slot runs on trial: its health check marks it good, or the box comes back
on the slot it runs now (image/README.md, "A/B system updates").

With --from REPO the bundle comes as the package system-bundle of that repository (\`bpkg update\`
fetches its index): its version is judged before anything is downloaded, the package must be
signed by a key bound to REPO (a key trusted for another repository is refused), and then RAUC
verifies the bundle's own signature as for a FILE. Publishers: \`blueprint repo build --repo DIR
bundle.raucb\` wraps a bundle into that package.

Exit codes: 0 installed; 2 bad arguments (also a folder given for the FILE); 4 refused (signature,
tampering, a damaged file, wrong compatible); 5 not newer (see --force), or RAUC busy with another
update; 3 no such file or no A/B slots; 1 RAUC failed writing (the running slot still boots); 130
Ctrl-C (143 SIGTERM): before RAUC writes, nothing was written; once it writes, RAUC cannot stop,
so the install is waited for and said as done.

Examples:
  blueprint system update /media/usb/blueprintos-2.0.0.raucb
  blueprint system update --force blueprintos-1.9.0.raucb
  blueprint system update --from updates`,
  async run(ctx, parsed) {
    const from = optString(parsed, 'from');
    const force = optBool(parsed, 'force');
    if (from !== undefined) {
      if (parsed.positionals.length)
        throw new UsageError(
          'give a FILE or --from REPO, not both',
          'Example: `blueprint system update --from REPO`',
        );
      const r = await cliBox(ctx).system.updateFrom(from, { force });
      ctx.result(r, formatInstall(r));
      return;
    }
    const [file] = requirePositionals(parsed, 1, 'the bundle FILE or --from REPO', 'blueprint system update');
    const r = await cliBox(ctx).system.update(file!, { force });
    ctx.result(r, formatInstall(r));
  },
};

const rollbackCommand: CommandSpec = {
  name: 'rollback',
  summary: 'Go back by hand: a pending update is cancelled, else the other slot boots next (on trial)',
  details: `
With an update installed and not yet booted, the running slot boots next again (the update is
cancelled). Otherwise the other slot boots next, on trial like an update (its health check marks
it good, or the box comes back); refused when that slot is marked bad (it failed its health check
or never booted). Takes effect at the next reboot.

Exit codes: 0 done; 3 no other slot or no A/B slots; 5 the other slot is bad, or RAUC busy with an
update; 130 Ctrl-C (143 SIGTERM): before RAUC is asked nothing changed, after it the rollback is
done whole and said.

Example:
  blueprint system rollback && systemctl reboot`,
  async run(ctx) {
    const r = await cliBox(ctx).system.rollback();
    ctx.result(r, formatRollback(r.slot));
  },
};

export const systemGroup: CommandGroup = {
  name: 'system',
  summary: 'The OS itself: A/B slots, signed system updates, rollback',
  commands: [statusCommand, updateCommand, rollbackCommand],
};
