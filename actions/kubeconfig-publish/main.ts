// The kubeconfig-publish action: new k3s clusters' kubeconfigs merged into Vault (check-and-set).
import { kubeconfigPublishStep } from '../lib/github/kubeconfig-publish-step.js';
import { run } from '../lib/github/run.js';

void run(async (log) => {
  await kubeconfigPublishStep(log);
});
