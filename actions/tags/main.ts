// The tags action: which playbooks this run must execute, from [ansible NAME] commit tags.
import { run } from '../lib/github/run.js';
import { tagsStep } from '../lib/github/tags-step.js';

void run(async (log) => {
  await tagsStep(log);
});
