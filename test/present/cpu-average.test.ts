/**
 * `blueprint service status` showed a CPU% column that read as current use, but the engine's
 * one-shot stats give the average since the container started (QA12's walk: an idle llm after a
 * burst read 48, 33, 29 % in three calls a few seconds apart). The column and the help say what
 * it is.
 */
import { describe, expect, it } from 'vitest';
import { statusTable } from '../../src/present/services.js';
import { serviceRow } from './service-row.js';

const llm = serviceRow('llm', {
  uptimeSeconds: 600,
  memoryBytes: 300 * 1024 * 1024,
  cpuPercent: 29.4,
  pids: 12,
});

describe('service status: the CPU column', () => {
  it('is named the average it is', () => {
    const [head, row] = statusTable([llm]).split('\n');
    const cols = head!.split(/\s+/);
    expect(cols).toContain('AVG-CPU%');
    expect(cols).not.toContain('CPU%');
    // The columns are aligned: the value starts where its header does (MEMORY's has a space).
    expect(row!.slice(head!.indexOf('AVG-CPU%')).split(/\s+/)[0]).toBe('29.4');
  });
});
