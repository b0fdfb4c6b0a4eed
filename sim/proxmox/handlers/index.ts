import type { Routes } from '../context.js';
import { accessRoutes } from './access.js';
import { agentRoutes } from './agent.js';
import { cloneRoutes } from './clone.js';
import { clusterRoutes } from './cluster.js';
import { powerRoutes } from './power.js';
import { qemuRoutes } from './qemu.js';
import { taskRoutes } from './tasks.js';

/** Every endpoint the simulator serves, by "METHOD /path/template". */
export const routes: Routes = {
  ...accessRoutes,
  ...clusterRoutes,
  ...taskRoutes,
  ...qemuRoutes,
  ...cloneRoutes,
  ...powerRoutes,
  ...agentRoutes,
};
