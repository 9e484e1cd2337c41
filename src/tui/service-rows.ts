import type { Box } from '../app/index.js';
import { sandboxWhole } from '../present/rating.js';
import { moduleInfoText, stateWord } from '../present/services.js';
import { bytes } from '../present/units.js';
import type { RunningLimitsReader } from './running-limits.js';
import type { ServiceRow } from './sources.js';

/**
 * Services with their state; network mode as the badge (every service runs in the sandbox policy);
 * `limits`: a running one's memory limit that its next start changes, as last read.
 */
export async function serviceRows(box: Box, limits: RunningLimitsReader): Promise<ServiceRow[]> {
  // registrations() passes over a damaged one; listAll() names it, as `service list` does.
  const regs = await box.services.registrations();
  const all = await box.services.listAll();
  const status = new Map(all.services.map((s) => [s.name, s]));
  const damaged = all.damaged.map(
    (d): ServiceRow => ({
      name: d.name,
      state: 'damaged',
      sandboxed: true,
      detail: 'registration damaged (see below)',
      damaged: { message: d.error.message, ...(d.error.hint ? { hint: d.error.hint } : {}) },
    }),
  );
  const rows = regs.map((r): ServiceRow => {
    const s = status.get(r.name);
    const mem = s?.memoryBytes ? ` ${bytes(s.memoryBytes)}` : '';
    // What the module serves (llm: model, context, device), from its own /info: escaped there.
    const served = moduleInfoText(s?.info, true);
    return {
      name: r.name,
      // Fits the screen's 12-character column; `blueprint service status` says more.
      state: stateWord(s),
      // The rating's facts (the running container's, from the kernel and the engine), not a constant.
      sandboxed: s?.rating ? sandboxWhole(s.rating) : true,
      detail: `${r.version} net:${r.network}${r.outboundApproved ? ' (approved)' : ''}${served ? ` ${served}` : ''}${
        s?.state === 'running' && s.health !== 'none' ? ` ${s.health}` : ''
      }${mem}${s?.uses.length ? ` uses:${s.uses.join(',')}` : ''}${
        s?.usedBy.length ? ` used-by:${s.usedBy.join(',')}` : ''
      }`,
      ...(s?.usedBy.length ? { usedBy: s.usedBy } : {}),
      ...(s ? { rating: s.rating } : {}),
      ...runningLimitsOf(limits.line(r.name, s?.state === 'running')),
    };
  });
  return [...rows, ...damaged].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const runningLimitsOf = (line: string | undefined) => (line ? { runningLimits: line } : {});
