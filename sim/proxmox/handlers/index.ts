import type { Routes } from '../context.js';
import { accessRoutes } from './access.js';
import { agentRoutes } from './agent.js';
import { cloneRoutes } from './clone.js';
import { clusterRoutes } from './cluster.js';
import { diskRoutes } from './disks.js';
import { powerRoutes } from './power.js';
import { nodeRoutes } from './node.js';
import { qemuRoutes } from './qemu.js';
import { readRoutes } from './reads.js';
import { snapshotRoutes } from './snapshots.js';
import { taskRoutes } from './tasks.js';

/** Every endpoint the simulator serves, by "METHOD /path/template". */
export const routes: Routes = {
  ...accessRoutes,
  ...clusterRoutes,
  ...nodeRoutes,
  ...taskRoutes,
  ...qemuRoutes,
  ...cloneRoutes,
  ...powerRoutes,
  ...agentRoutes,
  ...readRoutes,
  ...snapshotRoutes,
  ...diskRoutes,
};
