import type { Jobs } from './jobs.js';
import type { DashboardOps } from './ops.js';

/**
 * "Update and upgrade all…": `bpkg update` (it changes nothing installed) run as a job, whose page
 * comes at once and survives a reload (it was a POST that answered only once every repository had
 * been fetched: a reload meanwhile lost the plan). Once it ended well, its page leads to the plan
 * (`/packages/upgrade?after=JOB`, the script going there by itself), which names above itself the
 * repositories the update could not update: their last verified indexes make the plan.
 */
export function startUpdate(jobs: Jobs, ops: DashboardOps) {
  const job = jobs.start('Update and upgrade all', async (progress, _signal, self) => {
    const notUpdated = await ops.refresh();
    for (const l of notUpdated) progress(l);
    if (notUpdated.length) self.notice = notUpdated.join('\n');
    progress('indexes updated; the upgrade plan is next');
  });
  job.next = { href: `/packages/upgrade?after=${encodeURIComponent(job.id)}`, label: 'The upgrade plan' };
  return job;
}

/** The plan page's notice after the update job `?after=` names: its repositories not updated. */
export function updateNotice(jobs: Jobs, url: URL): { flash?: { kind: 'error'; text: string } } {
  const notice = jobs.get(url.searchParams.get('after') ?? '')?.notice;
  return notice ? { flash: { kind: 'error', text: notice } } : {};
}
