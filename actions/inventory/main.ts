// The inventory action: renders inventory/k8s.ini and new_hosts.txt, optionally commits them.
import { run } from '../lib/github/run.js';
import { inventoryStep } from '../lib/github/inventory-step.js';

void run(async (log) => {
  await inventoryStep(log);
});
