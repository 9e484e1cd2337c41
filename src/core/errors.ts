/**
 * Typed errors shared by every core module. Each carries a stable machine code, the process exit
 * code the CLI uses for it, and a hint that tells the user what to do next.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  verification: 4,
  conflict: 5,
  engine: 6,
  storage: 7,
  interrupted: 130,
  /** Ended by SIGTERM (128 + 15), as a shell reports a process the signal ended. */
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class BlueprintError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
    readonly exitCode: ExitCodeValue = ExitCode.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export class UsageError extends BlueprintError {
  constructor(message: string, hint?: string) {
    super(message, 'usage', hint, ExitCode.usage);
  }
}

export class NotFoundError extends BlueprintError {
  constructor(message: string, hint?: string, code = 'not-found') {
    super(message, code, hint, ExitCode.notFound);
  }
}

/** Signatures, hashes, sizes, schemas, archive safety: anything that refuses untrusted input. */
export class VerificationError extends BlueprintError {
  constructor(message: string, code: string, hint?: string, options?: { cause?: unknown }) {
    super(message, code, hint, ExitCode.verification, options);
  }
}

export class ConflictError extends BlueprintError {
  constructor(message: string, code: string, hint?: string) {
    super(message, code, hint, ExitCode.conflict);
  }
}

export class StorageError extends BlueprintError {
  constructor(message: string, code: string, hint?: string, options?: { cause?: unknown }) {
    super(message, code, hint, ExitCode.storage, options);
  }
}

export class InterruptedError extends BlueprintError {
  /** `hint`: where what was done is kept (an ingest, a setup), what running it again does. */
  constructor(
    message = 'Interrupted',
    hint = 'Nothing was changed; run the command again.',
    /** SIGTERM: exit 143 (ExitCode.terminated); otherwise 130. */
    signal?: NodeJS.Signals,
  ) {
    super(message, 'interrupted', hint, signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
  }
}

/**
 * The admin said no to a question an operation asked before changing anything (the `confirm`
 * callback of `openBox` answered false). Nothing was changed; front ends exit 1 without a message.
 */
export class DeclinedError extends BlueprintError {
  constructor(what: string) {
    super(`${what}: declined, nothing was changed`, 'declined', undefined, ExitCode.failure);
  }
}

/**
 * Node's "permission denied" (EACCES, or EPERM), from the file system or a socket: an admin who
 * forgot sudo meets it on root's folders (0700). Front ends word it (run it as root), not errno.
 */
export function isPermissionDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** Turns ENOSPC/EACCES/EROFS from the file system into errors a user can act on. */
export function storageErrorFrom(err: unknown, what: string): BlueprintError {
  if (err instanceof BlueprintError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const path = (err as NodeJS.ErrnoException)?.path ?? '';
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new StorageError(
      `No space left on device while ${what}${path ? ` (${path})` : ''}`,
      'disk-full',
      'Free some space (`bpkg clean` deletes downloaded package archives; `bpkg remove NAME` a package no longer used) and run the command again; nothing was changed.',
      { cause: err },
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new StorageError(
      `Cannot write while ${what}: ${path || 'permission denied'} is not writable`,
      'not-writable',
      'Run as root, or pass --root DIR pointing to a writable directory; nothing was changed.',
      { cause: err },
    );
  return new BlueprintError(
    `Failed while ${what}: ${(err as Error)?.message ?? String(err)}`,
    'io',
    undefined,
    1,
    {
      cause: err,
    },
  );
}
