/** GPU detection and the GPU access plan for sandboxed services. */
export { type DetectOptions, detectGpus, detectWith } from './detect.js';
export { type HostFs, rootedFs } from './host.js';
export { NO_GPU_REASON, planFromReport, planGpuAccess } from './plan.js';
export { DEFAULT_TOOL_TIMEOUT_MS, execaRunner, type ToolResult, type ToolRunner } from './tools.js';
export type * from './types.js';
