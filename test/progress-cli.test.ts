import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

// apply's progress as people see it: a live view redrawn in place on a terminal (a real
// pseudo-terminal from python3's pty module), timestamped lines when stderr is a pipe.
const CLI = path.resolve('actions/cli/dist/index.cjs');
const PTY = String.raw`
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

let sim: ProxmoxSim | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  sim = dir = undefined;
});

async function setup() {
  sim = await startProxmoxSim({ timeScale: 0.05 });
  dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-progress-'));
  await mkdir(path.join(dir, 'vms'));
  await writeFile(path.join(dir, 'pve-gitops.yaml'), 'health:\n  boot_grace_seconds: 30\n');
  for (const [name, node] of [
    ['web-1', 'pve1'],
    ['web-2', 'pve2'],
  ])
    await writeFile(
      path.join(dir, 'vms', `${name}.yaml`),
      `name: ${name}\ntarget_node: ${node}\nmemory: 1024\n`,
    );
  return {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    TERM: 'xterm',
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: sim.tokenId,
    PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
  };
}

/** Runs a command asynchronously: the simulator answers from this process's event loop. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('apply progress', () => {
  it('prints one timestamped line per step start and end when stderr is a pipe', async () => {
    const env = await setup();
    const r = await run(process.execPath, ['--', CLI, 'apply', '--repo', dir!], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^\d\d:\d\d:\d\d web-1: clone, waiting for the clone of ubuntu-24\.04-cloudinit to VM \d+$/m,
    );
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d web-1: clone finished after \d+\.\d s$/m);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d web-2: start, waiting for the guest agent$/m);
    expect(r.stderr).toMatch(
      /^\d\d:\d\d:\d\d web-\d: done after \d+\.\d s \(create\); 2 of 2 done$/m,
    );
    expect(r.stderr).not.toContain('\u001b[');
  });

  it('draws a live view on a terminal, redrawn in place, with the totals', async () => {
    const env = await setup();
    const r = await run(
      '/usr/bin/python3',
      ['-c', PTY, process.execPath, '--', CLI, 'apply', '--repo', dir!],
      env,
    );
    expect(r.code, r.stdout).toBe(0);
    const screen = r.stdout;
    // Moves up over its last drawing and clears it before each redraw.
    expect(screen).toContain('\r\u001b[2A\u001b[J');
    expect(screen).toMatch(/ {2}web-1 +\d+:\d\d {2}clone · waiting for the clone of ubuntu-24\.04/);
    expect(screen).toMatch(
      /web-\d +\d+:\d\d {2}start · waiting for the guest agent since \d+:\d\d/,
    );
    expect(screen).toMatch(/0 of 2 done, 2 in progress/);
    expect(screen).toMatch(/✓ web-1 done in \d+\.\d s \(create\)/);
    expect(screen).toContain('2 of 2 done');
    expect(screen).toContain('Applied: 2 to create');
  });
});
