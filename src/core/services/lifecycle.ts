/**
 * A module's service: planned, created, started, stopped and removed. The surface the rest of
 * blueprint imports (app/services.ts loads it for `service start`; hooks, the watcher, status), each
 * job in a file of its own:
 * - sandbox-plan.ts: the sandbox a start would create (planFor, planWith), its seccomp and AppArmor files;
 * - ensure-container.ts: the container made (or reused) from the plan, with what must be in place first;
 * - start-service.ts: start (what it uses first, admission, the health wait), the watcher's restart;
 * - stop-service.ts: stop, unless running services use it;
 * - container-remove.ts: a container removed with its device and wiring grants.
 */
export { type ContainerInfo, inspectContainer, ownOrNone } from './container-info.js';
export { removeContainer, removeModuleContainers } from './container-remove.js';
export { checkHealth, healthPollDelay, httpOverSocket } from './health.js';
export { planFor, planWith, type ServiceDeps } from './sandbox-plan.js';
export { restartCrashed, type StartOptions, type StartResult, startService } from './start-service.js';
export { consumersFirst, stopService, stopServices } from './stop-service.js';
