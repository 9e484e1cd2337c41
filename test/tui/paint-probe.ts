import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/pkg.js';
import { exe, Pane, requireExe } from './tmux.js';

/**
 * Draws the Dashboard once with `probe` (a CommonJS file) loaded by NODE_OPTIONS=--require, then
 * Ctrl-C; what the probe wrote to BP_PROBE_OUT, parsed. BP_PAINT_EXE: another build to check.
 */
export async function paintWithProbe(probe: string, prefix: string): Promise<unknown> {
  const program = process.env.BP_PAINT_EXE ?? exe;
  if (!process.env.BP_PAINT_EXE) requireExe();
  const dir = tempDir(prefix);
  writeFileSync(path.join(dir, 'probe.cjs'), probe);
  const out = path.join(dir, 'probe-out.json');
  mkdirSync(path.join(dir, 'root'));
  const p = new Pane([program, '--root', path.join(dir, 'root'), 'tui'], {
    width: 120,
    height: 40,
    env: { NODE_OPTIONS: `--require ${path.join(dir, 'probe.cjs')}`, BP_PROBE_OUT: out, HOME: dir },
  });
  try {
    await p.waitFor(/Exposure\s+firewall/);
    p.keys('C-c');
    await p.waitFor('EXIT=0');
  } finally {
    p.kill();
  }
  return JSON.parse(readFileSync(out, 'utf8'));
}
