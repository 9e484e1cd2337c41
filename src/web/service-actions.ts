import type { ServerResponse } from 'node:http';
import { html, type Part } from './html.js';
import type { Notice, Notices } from './notices.js';
import type { ServiceAction } from './ops.js';
import { errorText, eventStream, redirect } from './respond.js';
import type { Session } from './security.js';

/**
 * A service's start, stop or restart, followed by its page while it runs. The POST waits for the
 * action (a start waits for the health check: up to the module's startTimeout) and answers with
 * the service page and its outcome (`?notice=ID`), as every change does. An admin who reloaded
 * meanwhile got the page with no word of the action, and its outcome, error and hint included,
 * went to a request the browser had dropped. Now the page shown while one runs says so and follows
 * it to its outcome (the stream below); an outcome whose POST had no one left to answer is kept
 * for that session's next look at the page (test/web/service-action-reload.test.ts).
 */
const enc = encodeURIComponent;
const titleOf = (action: ServiceAction, name: string) =>
  `${action[0]!.toUpperCase()}${action.slice(1)} ${name}`;
/** Outcomes kept for a page that asks after its action ended: one a service, the latest 64. */
const KEPT = 64;

export class ServiceActions {
  readonly #running = new Map<string, { title: string; outcome: Promise<Notice> }>();
  readonly #last = new Map<string, Notice>();
  /** Per session, by service: the notice id of an outcome whose POST's browser had gone. */
  readonly #undelivered = new WeakMap<Session, Map<string, string>>();

  constructor(private readonly notices: Notices) {}

  /** The POST: runs the action, then the service page with its outcome, as before. */
  async post(
    res: ServerResponse,
    s: Session,
    action: ServiceAction,
    name: string,
    run: () => Promise<string[]>,
  ): Promise<void> {
    let gone = false;
    res.on('close', () => (gone = !res.writableEnded));
    const outcome = run().then(
      (lines): Notice => ({ kind: 'notice', text: lines.join('\n') }),
      (err): Notice => ({ kind: 'error', text: errorText(err) }),
    );
    const entry = { title: titleOf(action, name), outcome };
    this.#running.set(name, entry);
    const n = await outcome;
    if (this.#running.get(name) === entry) this.#running.delete(name);
    this.#last.delete(name);
    this.#last.set(name, n);
    while (this.#last.size > KEPT) this.#last.delete(this.#last.keys().next().value!);
    const id = this.notices.put(s, n);
    if (!gone) return redirect(res, `/services/${enc(name)}?notice=${id}`);
    const mine = this.#undelivered.get(s) ?? new Map<string, string>();
    this.#undelivered.set(s, mine);
    mine.set(name, id);
  }

  /** The notice id of this session's outcome for the service that no answer carried, once. */
  undelivered(s: Session, name: string): string | undefined {
    const mine = this.#undelivered.get(s);
    const id = mine?.get(name);
    mine?.delete(name);
    return id;
  }

  /** On the service page while an action runs: what it is, followed to its outcome. */
  card(name: string): Part {
    const r = this.#running.get(name);
    if (!r) return '';
    return html`<section class="card" aria-labelledby="h-action"><h2 id="h-action">In progress</h2>
<p>${r.title}: <strong data-state data-testid="action-state">running</strong></p>
<pre class="log" data-stream="/services/${enc(name)}/action" aria-live="polite" tabindex="0" data-testid="action"></pre></section>`;
  }

  /** The card's stream: the outcome when the action ends (at once if it has ended), then 'end'. */
  async stream(name: string, res: ServerResponse): Promise<void> {
    const st = eventStream(res);
    const r = this.#running.get(name);
    const n = r ? await r.outcome : this.#last.get(name);
    if (st.signal.aborted) return;
    if (n) st.event('message', n.kind === 'error' ? `error: ${n.text}` : n.text);
    st.event('end', n?.kind === 'error' ? 'failed' : 'done');
    st.end();
  }
}
