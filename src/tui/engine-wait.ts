import { shownHint } from '../present/root-in-hints.js';
import type { Maybe } from './sources.js';

/** How long the console waits for the container engine before saying it does not answer. */
export const ENGINE_WAIT_MS = 5000;

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
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Maybe<T>>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              available: false,
              reason: shownHint(
                `The container engine does not answer (nothing in ${ms / 1000} s; still asking): \`blueprint doctor\` checks it, \`systemctl status podman.socket\` shows the engine`,
              ),
            }),
          ms,
        );
        timer.unref();
      });
      const mine = { call: read(), late };
      out = mine;
      const done = () => {
        clearTimeout(timer);
        if (out === mine) out = undefined;
      };
      mine.call.then(done, done);
    }
    return Promise.race([out.call, out.late]);
  };
}
