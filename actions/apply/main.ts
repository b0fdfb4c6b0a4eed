// The apply action: makes the cluster match vms/ and outputs the hosts that are new.
import { applyStep } from '../lib/github/apply-step.js';
import { run } from '../lib/github/run.js';

void run(async (log) => {
  await applyStep(log);
});
