// The pve-gitops CLI as a user runs it (the built bundle in its own process), against a
// simulator, in a scratch repository: what the fault cases kill and run again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { VmDefinition } from '../../actions/lib/vm/types.js';
import type { ProxmoxSim } from '../../sim/proxmox/index.js';

const CLI = path.resolve(import.meta.dirname, '../../actions/cli/dist/index.cjs');

/** A scratch repository holding `defs` and a short boot grace. */
export async function scratchRepo(defs: VmDefinition[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-reliability-'));
  await mkdir(path.join(dir, 'vms'));
  await writeFile(path.join(dir, 'pve-gitops.yaml'), 'health:\n  boot_grace_seconds: 2\n');
  for (const d of defs) await writeFile(path.join(dir, 'vms', `${d.name}.yaml`), stringify(d));
  return dir;
}

/** PROXMOX_* for the simulator, pinned to the certificate it serves now. */
export function simEnv(sim: ProxmoxSim): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: sim.tokenId,
    PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
  };
}

export interface CliRun {
  child: ChildProcess;
  /** Exit code, or the signal that ended it. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** Starts `pve-gitops <args>` in `repo`; `done` settles when it exits. */
export function startCli(args: string[], repo: string, env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, ['--', CLI, ...args, '--repo', repo], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<Awaited<CliRun['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

/** Runs `pve-gitops <args>` to its end. */
export function runCli(args: string[], repo: string, env: NodeJS.ProcessEnv) {
  return startCli(args, repo, env).done;
}
