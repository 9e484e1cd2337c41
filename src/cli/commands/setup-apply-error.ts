/** apply's errors once it began writing (setup.ts). */
import {
  type ApplyResult,
  BlueprintError,
  type SetupChange as Change,
  type EncryptionOutcome,
  ExitCode,
  InterruptedError,
} from '../../app/index.js';
import {
  changesJson,
  failedPartWayHint,
  restartNeededLine,
  stoppedPartWayHint,
} from '../../present/setup.js';

type RestartNeeded = ApplyResult['restartNeeded'][number];

/**
 * What an apply that failed part-way throws: Ctrl-C's "Nothing was changed" is not so once
 * something was, nor a package's "nothing was installed" about its own step, so a failure after
 * changes says they stay and the same command does the rest (setup and apply).
 */
export function afterApplying(
  err: unknown,
  made: Change[],
  ctx: { json: boolean; quiet: boolean },
  encryption: EncryptionOutcome | undefined,
  restart: RestartNeeded[] = [],
): unknown {
  const shown = ctx.json ? 'json' : ctx.quiet ? 'none' : 'above';
  // A running service whose files were written before the failure: the next apply finds them
  // written and names no restart, so this one must (a successful apply's restart lines).
  const restartLines = restart.map((r) => `\n${restartNeededLine(r)}`).join('');
  // A storage error after changes has its hint from setup's apply already (what stays, what to free).
  const e =
    made.length && err instanceof BlueprintError
      ? new BlueprintError(
          err.message,
          err.code,
          `${
            err.exitCode === ExitCode.storage
              ? (err.hint ?? '')
              : err instanceof InterruptedError
                ? stoppedPartWayHint(made.length, shown)
                : failedPartWayHint(err.hint, made.length, shown)
          }${restartLines}`,
          err.exitCode,
          { cause: err },
        )
      : err;
  return ctx.json ? new AfterApplying(e, made, encryption, restart) : e;
}

/**
 * An error of apply before it changed anything (the file refused, the plan blocked, the
 * engine down while planning): with --json its document says so, `changed: []`, as the error of
 * an apply that failed at its first change does, so a script reads one shape (an Ansible
 * `changed_when` on `error.changed`, docs/fleet.md). One that already says what it changed is kept.
 */
export function beforeApplying(err: unknown, ctx: { json: boolean }): unknown {
  if (!ctx.json || err instanceof AfterApplying || !(err instanceof BlueprintError)) return err;
  return new AfterApplying(err, [], undefined, []);
}

/**
 * apply's error once it began: its --json document carries the changes made before it (`changed`,
 * as a successful apply's), the running services they need restarted (`restartNeeded`, [] when
 * none) and, after the partition was encrypted, the outcome (the key).
 */
class AfterApplying extends BlueprintError {
  constructor(
    err: unknown,
    readonly changed: Change[],
    readonly encryption: EncryptionOutcome | undefined,
    readonly restart: RestartNeeded[],
  ) {
    const e = err instanceof BlueprintError ? err : undefined;
    super(
      e?.message ?? (err as Error)?.message ?? String(err),
      e?.code ?? 'internal',
      e?.hint,
      e?.exitCode ?? ExitCode.failure,
      { cause: err },
    );
  }

  override toJSON() {
    // The error's own fields (a refused start's `admission`) stay beside `changed`.
    const own = this.cause instanceof BlueprintError ? this.cause.toJSON() : {};
    return {
      ...own,
      ...super.toJSON(),
      changed: changesJson(this.changed),
      // As a successful apply's: the services to restart for what was written to reach them.
      restartNeeded: this.restart.map((r) => r.name),
      ...(this.encryption ? { encryption: this.encryption } : {}),
    };
  }
}
