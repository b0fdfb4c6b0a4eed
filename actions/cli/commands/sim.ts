import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { registerSecret } from '../../lib/secrets.js';
import { startProxmoxSim } from '../../../sim/proxmox/index.js';
import type { Command } from '../cli.js';

const usage =
  'pve-gitops sim [--state DIR] [--fixture FILE] [--env-file FILE] [--latency-ms N] [--faults FILE] [--time-scale X] [--port N]';

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

/** Writes `file` atomically with mode 0600. */
function writePrivate(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

const command: Command = {
  summary:
    'Runs the Proxmox VE simulator on loopback until interrupted, and writes an env file for it.',
  usage,
  options: {
    state: { type: 'string' },
    fixture: { type: 'string' },
    'env-file': { type: 'string' },
    'latency-ms': { type: 'string' },
    faults: { type: 'string' },
    'time-scale': { type: 'string' },
    port: { type: 'string' },
  },
  async run(values, _positionals, ctx) {
    const stateDir = typeof values.state === 'string' ? path.resolve(values.state) : undefined;
    const timeScale = number(values['time-scale'], 'time-scale', 0.0001);
    const latencyMs = number(values['latency-ms'], 'latency-ms', 0);
    const port = number(values.port, 'port', 0);
    const scratch = stateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'pve-gitops-sim-'));
    const dir = stateDir ?? scratch!;
    const envFile = path.resolve(
      typeof values['env-file'] === 'string' ? values['env-file'] : path.join(dir, 'proxmox.env'),
    );
    const sim = await startProxmoxSim({
      stateDir,
      fixture: typeof values.fixture === 'string' ? path.resolve(values.fixture) : undefined,
      faults: typeof values.faults === 'string' ? path.resolve(values.faults) : undefined,
      latencyMs,
      timeScale,
      port,
    });
    registerSecret(sim.tokenSecret);
    registerSecret(sim.password);
    const caFile = path.join(dir, 'pve-root-ca.pem');
    writePrivate(caFile, sim.caPem);
    const env = {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    };
    // One way to trust the certificate: the client refuses a fingerprint and a CA file together.
    writePrivate(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `export ${k}=${quote(v)}\n`)
        .join('') + `# or, instead of the fingerprint: export PROXMOX_CA_FILE=${quote(caFile)}\n`,
    );
    ctx.log.info(
      `Proxmox VE simulator listening on ${sim.url} (${stateDir ? `state in ${stateDir}` : 'state in memory'}); stop it with Ctrl-C.`,
    );
    ctx.out(`${sim.url}\n${envFile}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await sim.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    ctx.log.info('Proxmox VE simulator stopped.');
    return 0;
  },
};
export default command;
