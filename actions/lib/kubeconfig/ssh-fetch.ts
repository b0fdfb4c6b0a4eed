import { NodeSSH } from 'node-ssh';
import { ConfigurationError, PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import { hostKeyStanding, keyFingerprint } from '../ssh/known-hosts.js';

/** Where the first server of a k3s cluster writes its kubeconfig. */
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';

export interface SshTarget {
  name: string;
  host: string;
  port?: number;
  username: string;
  /** PEM/OpenSSH private key (a secret, registered by the caller). */
  privateKey: string;
  /** known_hosts text the host key must appear in. */
  knownHosts: string;
  /** Accept a host that known_hosts does not list (never one whose key differs). */
  trustOnFirstUse?: boolean;
  readyTimeoutMs?: number;
}

/**
 * Reads the new server's /etc/rancher/k3s/k3s.yaml over SSH (as root, or with `sudo -n`),
 * checking the host key against known_hosts first.
 */
export async function fetchK3sKubeconfig(t: SshTarget, log: Logger): Promise<string> {
  const port = t.port ?? 22;
  let verdict = 'ok' as 'ok' | 'unknown' | 'changed';
  let seen = '';
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: t.host,
      port,
      username: t.username,
      privateKey: t.privateKey,
      readyTimeout: t.readyTimeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        seen = keyFingerprint(key);
        const standing = hostKeyStanding(t.knownHosts, t.host, port, key);
        if (standing === 'known') return true;
        verdict = standing;
        if (verdict === 'unknown' && t.trustOnFirstUse) {
          log.warn(
            `${t.name}: accepting the unknown host key ${seen} of ${t.host} (trust on first use).`,
          );
          verdict = 'ok';
          return true;
        }
        return false;
      },
    } as Parameters<NodeSSH['connect']>[0]);
  } catch (err) {
    ssh.dispose();
    if (verdict === 'changed')
      throw new ConfigurationError(
        `The host key of ${t.name} (${t.host}) is ${seen}, not the one known_hosts lists; refusing to connect.`,
      );
    if (verdict === 'unknown')
      throw new ConfigurationError(
        `The host key of ${t.name} (${t.host}, ${seen}) is not in known_hosts: add it (known-hosts input) or allow trust on first use.`,
      );
    const msg = (err as Error).message ?? String(err);
    throw new PveGitopsError(
      `Cannot log in to ${t.name} (${t.username}@${t.host}:${port}) over SSH: ${msg.replace(/\s+/g, ' ').slice(0, 200)}.`,
    );
  }
  try {
    const r = await ssh.execCommand(
      `if [ "$(id -u)" = 0 ]; then cat ${K3S_KUBECONFIG}; else sudo -n cat ${K3S_KUBECONFIG}; fi`,
    );
    if (r.code !== 0)
      throw new PveGitopsError(
        `Cannot read ${K3S_KUBECONFIG} on ${t.name} (${t.host}): ${r.stderr.trim().split('\n')[0]?.slice(0, 200) || `exit ${r.code}`}; is k3s installed there as a first server?`,
      );
    return r.stdout;
  } finally {
    ssh.dispose();
  }
}
