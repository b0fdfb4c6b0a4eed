// The validate action: checks pve-gitops.yaml and vms/*.yaml; annotations, summary, outputs.
import { run } from '../lib/github/run.js';
import { validateStep } from '../lib/github/validate-step.js';

void run(async (log) => {
  await validateStep(log);
});
