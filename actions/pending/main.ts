// The pending action: hosts and tags applied but not yet provisioned (refs/pve-gitops/unprovisioned).
import { run } from '../lib/github/run.js';
import { pendingStep } from '../lib/github/pending-step.js';

void run(async (log) => {
  await pendingStep(log);
});
