// The provision action: ansible-playbook for the new hosts and the [ansible NAME] tags.
import { run } from '../lib/github/run.js';
import { provisionStep } from '../lib/github/provision-step.js';

void run(async (log) => {
  await provisionStep(log);
});
