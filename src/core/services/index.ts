export { type PurgeAsk, purgeConsumerData, purgeOptIns, purgeProviders } from './consumer-purge.js';
export { claimModuleData } from './data-owner.js';
export {
  chooseSocket,
  connectEngine,
  DEFAULT_SOCKET,
  type Engine,
  EngineError,
  openEngine,
} from './engine.js';
export { createBuildHooks, createServiceHooks, type ServiceHooksOptions } from './hooks.js';
export { type ServiceDeps, startService, stopService } from './lifecycle.js';
export { bindModuleData, moduleDataDir, purgeModuleData } from './module-data.js';
export { type AdminApprovals, containerName, MODULE_LABEL, NO_GPU, sandboxPolicy } from './policy.js';
export { parseService, type ServiceSpec, serviceSchema } from './schema.js';
