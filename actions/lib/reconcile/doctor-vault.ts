import type { RepoConfig } from '../config/types.js';
import { describeError } from '../errors.js';
import { locationOf, vaultFromEnv } from '../kubeconfig/vault-env.js';
import type { Logger } from '../log.js';
import type { DoctorReport } from './doctor.js';

/** What publishing a kubeconfig does on the KV v2 data path: read, then write with check-and-set. */
const NEEDED = ['read', 'create', 'update'];

/**
 * The Vault half of `doctor`: logs in as kubeconfig publishing does (VAULT_TOKEN or
 * ~/.vault-token), asks `sys/capabilities-self` what the token may do on the kubeconfig's
 * KV v2 data path, and checks through `sys/internal/ui/mounts` that the mount is KV v2.
 * Problems go into `report`.
 */
export async function vaultDoctor(
  report: DoctorReport,
  config: RepoConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<void> {
  const loc = locationOf(config.vault);
  const problem = (message: string) => report.problems.push({ kind: 'vault', message });
  try {
    const vault = vaultFromEnv(env);
    const mount = (await vault.request('GET', `sys/internal/ui/mounts/${loc.mount}`)) as {
      data?: { type?: string; options?: { version?: string } | null };
    };
    const version = Number(mount?.data?.options?.version ?? (mount?.data?.type === 'kv' ? 1 : 0));
    const dataPath = `${loc.mount}/data/${loc.path}`;
    const caps = (await vault.request('POST', 'sys/capabilities-self', { paths: [dataPath] })) as {
      data?: Record<string, string[]>;
    } & Record<string, unknown>;
    const granted = caps?.data?.[dataPath] ?? (caps?.[dataPath] as string[] | undefined) ?? [];
    report.vault = {
      address: vault.addr,
      path: dataPath,
      capabilities: granted,
      kvVersion: version,
    };
    log.info(`Vault ${vault.addr}: ${dataPath} allows ${granted.join(', ') || 'nothing'}.`);
    if (version !== 2)
      problem(
        `The Vault mount ${loc.mount}/ is not a KV version 2 engine (check-and-set needs it): \`vault secrets enable -path=${loc.mount} kv-v2\`.`,
      );
    const missing = granted.includes('root') ? [] : NEEDED.filter((c) => !granted.includes(c));
    if (missing.length)
      problem(
        `The Vault token may not ${missing.join(', ')} ${dataPath}; its policy needs \`path "${dataPath}" { capabilities = ["read", "create", "update"] }\`.`,
      );
  } catch (err) {
    problem(`Vault check failed: ${describeError(err)}`);
  }
}
