// The kubeconfig action: one cluster's kubeconfig from Vault (GitHub OIDC or a token) for any CI job.
import { kubeconfigStep } from '../lib/github/kubeconfig-step.js';
import { run } from '../lib/github/run.js';

void run(async (log) => {
  await kubeconfigStep(log);
});
