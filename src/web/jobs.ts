import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { escapeText } from '../present/escape.js';
import { shownHint } from '../present/root-in-hints.js';
import type { Approvals } from './ops.js';
import { errorLines, eventStream } from './respond.js';

/** A package or system change running in the background; its page follows its progress. */
export interface Job {
  id: string;
  title: string;
  lines: string[];
  state: 'running' | 'done' | 'failed';
  listeners: Set<(event: string, data: string) => void>;
  /** Where its page leads once it ended well (an update: its upgrade plan); the browser goes there. */
  next?: { href: string; label: string };
  /** What the page it leads to says above itself (the repositories an update could not update). */
  notice?: string;
  /** The install stopped to ask for a module's outbound hosts (issue 19); what was approved so far. */
  approval?: { name: string; module: string; hosts: string[]; approved: Approvals; plan?: string };
}

/** The last 20 jobs' progress (older pages say "No such job"), and the one started last. */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  /** The job started last: while it runs, another change waits on its page. */
  latest?: Job;

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  start(
    title: string,
    run: (progress: (l: string) => void, signal: AbortSignal, job: Job) => Promise<void>,
    approvalOf?: (err: unknown) => Job['approval'],
  ): Job {
    const job: Job = {
      id: randomBytes(9).toString('base64url'),
      title,
      lines: [],
      state: 'running',
      listeners: new Set(),
    };
    const emit = (event: string, data: string) => {
      for (const l of job.listeners) l(event, data);
    };
    const progress = (line: string) => {
      for (const l of escapeText(shownHint(line)).split('\n')) {
        job.lines.push(l);
        if (job.lines.length > 2000) job.lines.shift();
        emit('message', l);
      }
    };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - 20))) this.jobs.delete(id);
    this.latest = job;
    run(progress, new AbortController().signal, job).then(
      () => {
        job.state = 'done';
        // Its page shown while it ran leads on at the end unless the job took that back (a model
        // import that changed nothing stays to say so).
        if (!job.next) emit('stay', '');
        emit('end', 'done');
      },
      (err) => {
        progress(errorLines(err));
        const asked = approvalOf?.(err);
        if (asked) {
          job.approval = asked;
          progress('The admin is asked to approve these hosts: reload this page.');
        }
        job.state = 'failed';
        emit('end', 'failed');
      },
    );
    return job;
  }
}

/**
 * Jobs live in the dashboard's process: one from before a restart (or older than the last 20) is
 * gone, and the admin must learn where to see whether its change happened.
 */
export const NO_SUCH_JOB =
  'No such job: the dashboard keeps its last 20 jobs, and none from before it was restarted. To learn whether a change it was making then was made, see /packages (or /system); start it again if it was not.';

/** A job's lines as server-sent events: every one so far, then each new one until it ends. */
export function streamJob(job: Job, res: ServerResponse): void {
  const st = eventStream(res);
  for (const l of job.lines) st.event('message', l);
  if (job.state !== 'running') {
    if (job.state === 'done' && !job.next) st.event('stay', '');
    st.event('end', job.state);
    st.end();
    return;
  }
  const listener = (event: string, data: string) => {
    st.event(event, data);
    if (event === 'end') st.end();
  };
  job.listeners.add(listener);
  st.signal.addEventListener('abort', () => job.listeners.delete(listener));
}
