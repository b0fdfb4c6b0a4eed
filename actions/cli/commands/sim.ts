import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { checkOutputPath, writeOutputFile } from '../../lib/fs/output-file.js';
import { startSimStack } from '../../../sim/stack.js';
import type { Command } from '../cli.js';

const usage =
  'pve-gitops sim [--state DIR] [--fixture FILE] [--env-file FILE] [--latency-ms N] [--faults FILE] [--time-scale X] [--pve-version 8|9] [--port N] [--authorized-key FILE] [--no-hosts]';

function number(v: unknown, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < min)
    throw new UsageError(
      `--${flag} must be a number of at least ${min}, not '${typeof v === 'string' ? v : 'true'}'.`,
    );
  return n;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const command: Command = {
  summary:
    'Runs Proxmox VE, Vault, k3s and VM host simulators on loopback until interrupted; writes an env file.',
  usage,
  options: {
    state: {
      type: 'string',
      value: 'DIR',
      description: 'Keep the simulated cluster here, so separate runs see one cluster.',
      default: 'in memory',
      complete: 'dir',
    },
    fixture: {
      type: 'string',
      value: 'FILE',
      description: 'The cluster to simulate (nodes, storages, templates, tokens), as YAML or JSON.',
      default: 'three nodes: pve1, pve2, still-fawn',
      complete: 'file',
    },
    'env-file': {
      type: 'string',
      value: 'FILE',
      description: 'Where to write the export lines for PROXMOX_*, VAULT_* (mode 0600).',
      default: 'DIR/proxmox.env',
      complete: 'file',
    },
    'latency-ms': {
      type: 'string',
      value: 'N',
      description: 'Delay every Proxmox answer by N milliseconds, like a remote cluster.',
      default: '0',
    },
    faults: {
      type: 'string',
      value: 'FILE',
      description: 'Inject the faults described in FILE (docs/simulator.md).',
      complete: 'file',
    },
    'time-scale': {
      type: 'string',
      value: 'X',
      description: 'Multiply simulated task durations by X.',
      default: '1',
    },
    'pve-version': {
      type: 'string',
      value: '8|9',
      description: 'Answer as Proxmox VE 8.4 or 9.',
      default: '9',
      complete: ['8', '9'],
    },
    port: {
      type: 'string',
      value: 'N',
      description: 'The Proxmox API port.',
      default: 'any free port',
    },
    'authorized-key': {
      type: 'string',
      value: 'FILE',
      description: 'The public key the simulated VM hosts accept for SSH.',
      complete: 'file',
    },
    'no-hosts': {
      type: 'boolean',
      description: 'Start no sshd per VM (no root needed; provisioning cannot run).',
    },
  },
  examples: [
    ['pve-gitops sim --state .sim', 'Run the simulators, keeping their state in .sim.'],
    [
      'pve-gitops sim --pve-version 8 --latency-ms 25',
      "A PVE 8.4 cluster 25 ms away, to try the plan's speed.",
    ],
  ],
  async run(values, _positionals, ctx) {
    const stateDir = typeof values.state === 'string' ? path.resolve(values.state) : undefined;
    const timeScale = number(values['time-scale'], 'time-scale', 0.0001);
    const latencyMs = number(values['latency-ms'], 'latency-ms', 0);
    const port = number(values.port, 'port', 0);
    const pv = values['pve-version'];
    if (pv !== undefined && pv !== '8' && pv !== '9')
      throw new UsageError(
        `--pve-version must be 8 or 9, not '${typeof pv === 'string' ? pv : 'true'}'.`,
      );
    const pveVersion = pv === '8' ? 8 : pv === '9' ? 9 : undefined;
    const scratch = stateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'pve-gitops-sim-'));
    const dir = stateDir ?? scratch!;
    const envFile = path.resolve(
      typeof values['env-file'] === 'string' ? values['env-file'] : path.join(dir, 'proxmox.env'),
    );
    const envFileOut = { what: '--env-file', createParents: values['env-file'] === undefined };
    if (typeof values['env-file'] === 'string') await checkOutputPath(envFile, envFileOut);
    // Listen before the env file exists: it tells others we are ready, and a SIGTERM sent
    // right after must stop us cleanly, however late the scheduler runs us.
    const signalled = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    let stack;
    try {
      stack = await startSimStack({
        dir,
        persistent: !!stateDir,
        fixture: typeof values.fixture === 'string' ? path.resolve(values.fixture) : undefined,
        faults: typeof values.faults === 'string' ? path.resolve(values.faults) : undefined,
        latencyMs,
        timeScale,
        pveVersion,
        port,
        authorizedKeyFile:
          typeof values['authorized-key'] === 'string'
            ? path.resolve(values['authorized-key'])
            : undefined,
        hosts: values['no-hosts'] === true ? false : undefined,
        log: ctx.log,
      });
    } catch (err) {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
    const sim = stack.proxmox;
    const caFile = path.join(dir, 'pve-root-ca.pem');
    await writeOutputFile(caFile, sim.caPem, { createParents: true });
    const env = {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
      VAULT_ADDR: stack.vault.addr,
      VAULT_TOKEN: stack.vaultToken,
      PVE_GITOPS_SIMULATOR: 'true',
      ...(stack.sshPrivateKeyFile ? { SSH_PRIVATE_KEY_FILE: stack.sshPrivateKeyFile } : {}),
    };
    // One way to trust the certificate: the client refuses a fingerprint and a CA file together.
    await writeOutputFile(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `export ${k}=${quote(v)}\n`)
        .join('') +
        `# or, instead of the fingerprint: export PROXMOX_CA_FILE=${quote(caFile)}\n` +
        `# k3s installer: put it in pve-gitops.yaml as  k3s: {installer_url: ${stack.kube.installerUrl}}\n`,
      envFileOut,
    );
    ctx.log.info(
      `Proxmox VE simulator listening on ${sim.url} (${stateDir ? `state in ${stateDir}` : 'state in memory'}); stop it with Ctrl-C.`,
    );
    ctx.log.info(
      `Vault simulator: ${stack.vault.addr} (KV v2 at kv/; the token reads and writes only the kubeconfig secret).`,
    );
    ctx.log.info(`k3s simulator: installer at ${stack.kube.installerUrl}`);
    if (stack.hosts)
      ctx.log.info(
        'VM hosts: one sshd per running VM with a static 127.x ipconfig0, as it starts.',
      );
    ctx.out(`${sim.url}\n${envFile}\n`);
    await signalled;
    await stack.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    ctx.log.info('Simulators stopped.');
    return 0;
  },
};
export default command;
