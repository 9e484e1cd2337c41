import { UsageError } from '../../app/index.js';
import { formatReport } from '../../present/gpu.js';
import { cliBox } from '../box.js';
import { type CommandSpec, optBool, optString } from '../command.js';

/** The longest --timeout: a day, well inside a Node timer's range with the tool's kill grace added. */
const MAX_TIMEOUT_MS = 86_400_000;

export const gpuCommand: CommandSpec = {
  name: 'gpu',
  summary: 'GPUs on this box and whether sandboxed services can use them',
  options: {
    'no-tools': {
      type: 'boolean',
      description: 'Read only the kernel view; do not run nvidia-smi or rocm-smi',
    },
    timeout: {
      type: 'string',
      value: 'MS',
      description: 'How long nvidia-smi/rocm-smi may take before they are given up (default 5000)',
    },
  },
  details: `
Reads the kernel's view under --root (PCI devices in /sys, /proc/driver/nvidia, /dev nodes, CDI
specs in /etc/cdi and /var/run/cdi), then asks nvidia-smi or rocm-smi for names and memory when
they are installed (only when --root is /). For each GPU: vendor, model, PCI address, memory,
driver, device nodes, and whether a container can use it, with the fix when it cannot.

Examples:
  blueprint gpu
  blueprint gpu --json
  blueprint --root /mnt/box gpu    # a box's disk image mounted at /mnt/box`,
  async run(ctx, parsed) {
    const timeout = optString(parsed, 'timeout');
    const timeoutMs = timeout === undefined ? undefined : Number(timeout);
    // Digits only (not 1e99, 0x10): a deadline past a Node timer's range fires after 1 ms.
    if (
      timeout !== undefined &&
      !(/^\d+$/.test(timeout) && Number(timeout) > 0 && Number(timeout) <= MAX_TIMEOUT_MS)
    )
      throw new UsageError(
        `--timeout needs a whole number of milliseconds, 1 to ${MAX_TIMEOUT_MS} (a day), not "${timeout}"`,
      );
    const report = await cliBox(ctx).gpu.detect({
      ...(optBool(parsed, 'no-tools') ? { tools: false } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      signal: ctx.signal,
    });
    ctx.result(report, formatReport(report));
  },
};
