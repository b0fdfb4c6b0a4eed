// The plan action: reads the cluster, posts the plan as a sticky PR comment and job summary.
import { planStep } from '../lib/github/plan-step.js';
import { run } from '../lib/github/run.js';

void run(async (log) => {
  await planStep(log);
});
