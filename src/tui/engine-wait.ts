import { shownHint } from '../present/root-in-hints.js';
import type { Maybe } from './sources.js';

/** How long the console waits for the container engine before saying it does not answer. */
export const ENGINE_WAIT_MS = 5000;

/** What a view says when the engine has not answered in `ms`, with what checks it (the console's --root). */
export function engineSilentText(ms = ENGINE_WAIT_MS): string {
  return shownHint(
    `The container engine does not answer (nothing in ${ms / 1000} s; still asking): \`blueprint doctor\` checks it, \`systemctl status podman.socket\` shows the engine`,
  );
}

/**
 * One call to the engine a view waits on (inspect, a module's settings): refused with
 * engineSilentText after `ms`, so the view says why nothing comes instead of waiting for good. The
 * call itself goes on (it holds no lock); its late answer is dropped.
 */
export function engineBound<T>(call: Promise<T>, ms = ENGINE_WAIT_MS): Promise<T> {
  const deadline = after<never>(ms, (_, reject) => reject(new Error(engineSilentText(ms))));
  call.then(deadline.cancel, deadline.cancel);
  return Promise.race([call, deadline.late]);
}

/** A promise `settle`d `ms` from now unless cancelled first; its timer never holds the process. */
function after<T>(
  ms: number,
  settle: (resolve: (value: T) => void, reject: (err: Error) => void) => void,
): { late: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => settle(resolve, reject), ms);
    timer.unref();
  });
  return { late, cancel: () => clearTimeout(timer) };
}

/**
 * A read of the engine that never holds the console (QA25: a socket that takes the connection and
 * answers nothing kept the Dashboard at `Reading the host...` and Services at `Loading...` for
 * good). One call at a time: a poll while one is out waits on that one, so a silent engine does not
 * gather a connection every two seconds; `ms` after the call was made the answer is why nothing is
 * shown, and the call goes on, its answer taken by the next poll.
 */
export function engineRead<T>(read: () => Promise<Maybe<T>>, ms = ENGINE_WAIT_MS): () => Promise<Maybe<T>> {
  // The call out now, and its deadline: counted from when it was made, not from each poll.
  let out: { call: Promise<Maybe<T>>; late: Promise<Maybe<T>> } | undefined;
  return () => {
    if (!out) {
      const deadline = after<Maybe<T>>(ms, (resolve) =>
        resolve({ available: false, reason: engineSilentText(ms) }),
      );
      const mine = { call: read(), late: deadline.late };
      out = mine;
      const done = () => {
        deadline.cancel();
        if (out === mine) out = undefined;
      };
      mine.call.then(done, done);
    }
    return Promise.race([out.call, out.late]);
  };
}

/**
 * A log followed: a log with no line yet is the service's quiet or the engine's silence, and an
 * engine that answers `probe` (a listing) is not silent. Neither within `ms`: `onWait` hears why
 * nothing comes (engineSilentText), then undefined once a line or the probe's answer arrives.
 */
export function followHeard(
  follow: (onLine: (line: string) => void) => Promise<void>,
  probe: () => Promise<unknown>,
  onLine: (line: string) => void,
  onWait?: (reason: string | undefined) => void,
  ms = ENGINE_WAIT_MS,
): Promise<void> {
  let heard = false;
  const timer = setTimeout(() => heard || onWait?.(engineSilentText(ms)), ms);
  timer.unref();
  const answered = () => {
    if (heard) return;
    heard = true;
    clearTimeout(timer);
    onWait?.(undefined);
  };
  probe().then(answered, () => clearTimeout(timer));
  return follow((line) => {
    answered();
    onLine(line);
  }).finally(() => clearTimeout(timer));
}
