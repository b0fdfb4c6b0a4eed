import { ApiError, fail } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { str, type HandlerContext, type Routes } from '../context.js';
import type { VmState } from '../state.js';
import { parseProps } from '../vm-config.js';
import { agentEnabled } from './power.js';

/**
 * PVE's checks before a guest-agent command, in PVE's order (qemu-server,
 * PVE::QemuServer::Agent::assert_agent_available): only a config without any `agent` key is
 * "not configured"; `agent: 0` passes that check and fails the ping, as there is no channel.
 */
function agentReady(ctx: HandlerContext, command: string): VmState {
  const c = ctx.cluster;
  const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
  if (vm.config.agent === undefined) fail('No QEMU guest agent configured');
  if (vm.status !== 'running') fail(`VM ${vm.vmid} is not running`);
  const booted = Date.now() - (vm.startedAt ?? 0) >= c.state.timings.agentBoot * c.scale;
  const silent = c.named(c.faults.agentSilent, vm) || c.named(c.faults.hangAtBoot, vm);
  if (!agentEnabled(vm) || !booted || silent) fail('QEMU guest agent is not running');
  if (vm.qmpstatus !== 'running')
    fail(`VM ${vm.vmid} qmp command '${command}' failed - got timeout`);
  return vm;
}

/** The guest's IPv4 address: from ipconfig0, else a loopback address derived from the VMID. */
function guestAddress(vm: VmState): { ip: string; prefix: number } {
  const ip = parseProps(String(vm.config.ipconfig0 ?? '')).ip;
  const m = ip && /^([\d.]+)\/(\d+)$/.exec(ip);
  if (m) return { ip: m[1], prefix: Number(m[2]) };
  return { ip: `127.77.${(vm.vmid >> 8) & 255}.${vm.vmid & 255}`, prefix: 8 };
}

function interfaces(vm: VmState) {
  const mac = (
    /=([0-9A-Fa-f:]{17})/.exec(String(vm.config.net0 ?? ''))?.[1] ?? 'bc:24:11:00:00:01'
  ).toLowerCase();
  const a = guestAddress(vm);
  return [
    {
      name: 'lo',
      'hardware-address': '00:00:00:00:00:00',
      'ip-addresses': [
        { 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 },
        { 'ip-address': '::1', 'ip-address-type': 'ipv6', prefix: 128 },
      ],
      statistics: {
        'rx-bytes': 0,
        'rx-packets': 0,
        'tx-bytes': 0,
        'tx-packets': 0,
        'rx-errs': 0,
        'tx-errs': 0,
        'rx-dropped': 0,
        'tx-dropped': 0,
      },
    },
    {
      name: 'eth0',
      'hardware-address': mac,
      'ip-addresses': [
        { 'ip-address': a.ip, 'ip-address-type': 'ipv4', prefix: a.prefix },
        {
          'ip-address': `fe80::${mac.split(':').slice(3).join('')}`,
          'ip-address-type': 'ipv6',
          prefix: 64,
        },
      ],
      statistics: {
        'rx-bytes': 1024,
        'rx-packets': 10,
        'tx-bytes': 2048,
        'tx-packets': 12,
        'rx-errs': 0,
        'tx-errs': 0,
        'rx-dropped': 0,
        'tx-dropped': 0,
      },
    },
  ];
}

/**
 * What the stand-in guest has: a few programs provisioning scripts run, answered as the real
 * ones would. Any other program does not exist there, and qemu-guest-agent's guest-exec
 * fails to spawn it, which PVE reports as the agent's error (not a shell's exit 127).
 */
function runInGuest(c: Cluster, vm: VmState, argv: string[]): { exitcode: number; out: string } {
  const [cmd, ...args] = argv;
  const prog = cmd.replace(/^\/(usr\/)?s?bin\//, '');
  if (prog === 'hostname') return { exitcode: 0, out: `${String(vm.config.name ?? '')}\n` };
  if (prog === 'cloud-init' && args[0] === 'status') return { exitcode: 0, out: 'status: done\n' };
  if (prog === 'true') return { exitcode: 0, out: '' };
  if (prog === 'false') return { exitcode: 1, out: '' };
  if (prog === 'echo') return { exitcode: 0, out: `${args.join(' ')}\n` };
  if (prog === 'cat' && args.length) {
    try {
      return { exitcode: 0, out: args.map((f) => readGuestFile(c, vm, f)).join('') };
    } catch {
      return { exitcode: 1, out: '' };
    }
  }
  fail(
    `Agent error: Guest agent command failed, error was 'Failed to execute child process “${cmd}” (No such file or directory)'`,
  );
}

function runInGuestResult(c: Cluster, vm: VmState, argv: string[]) {
  const r = runInGuest(c, vm, argv);
  return { exitcode: r.exitcode, outData: r.out };
}

function execOf(c: Cluster, vm: VmState, pid: number) {
  const e = c.state.execs[`${vm.vmid}:${pid}`];
  if (!e) fail(`Agent error: Invalid parameter 'pid'`);
  return e;
}

/** Files the simulated guest has: its SSH host public key, as cloud-init wrote it. */
function readGuestFile(c: Cluster, vm: VmState, file: string): string {
  if (file === '/etc/ssh/ssh_host_ed25519_key.pub') return `${c.hostKeyOf(vm.vmid).publicKey}\n`;
  if (file === '/etc/hostname') return `${String(vm.config.name ?? '')}\n`;
  const written = vm.guestFiles?.[file];
  if (written !== undefined) return written;
  fail(`Agent error: Failed to open file '${file}': No such file or directory`);
}

/** What qemu-guest-agent 8.2 (Ubuntu 24.04) answers to guest-get-osinfo. */
const osinfo = {
  id: 'ubuntu',
  name: 'Ubuntu',
  'pretty-name': 'Ubuntu 24.04.1 LTS',
  version: '24.04.1 LTS (Noble Numbat)',
  'version-id': '24.04',
  'kernel-release': '6.8.0-45-generic',
  'kernel-version': '#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024',
  machine: 'x86_64',
};

/** The commands the agent reports in guest-info (those this simulator answers are enabled). */
const agentCommands = [
  'guest-exec',
  'guest-exec-status',
  'guest-file-close',
  'guest-file-open',
  'guest-file-read',
  'guest-file-write',
  'guest-fsfreeze-freeze',
  'guest-fsfreeze-status',
  'guest-fsfreeze-thaw',
  'guest-get-fsinfo',
  'guest-get-host-name',
  'guest-get-osinfo',
  'guest-info',
  'guest-network-get-interfaces',
  'guest-ping',
  'guest-shutdown',
];

export const agentRoutes: Routes = {
  'GET /nodes/{node}/qemu/{vmid}/agent/get-osinfo': (ctx) => {
    agentReady(ctx, 'guest-get-osinfo');
    return { result: osinfo };
  },
  'GET /nodes/{node}/qemu/{vmid}/agent/info': (ctx) => {
    agentReady(ctx, 'guest-info');
    return {
      result: {
        version: '8.2.2',
        supported_commands: agentCommands.map((name) => ({
          name,
          enabled: true,
          'success-response': name !== 'guest-shutdown',
        })),
      },
    };
  },
  // PVE base64-encodes `content` unless encode=0 says it already is (Qemu/Agent.pm file_write).
  'POST /nodes/{node}/qemu/{vmid}/agent/file-write': (ctx) => {
    const vm = agentReady(ctx, 'guest-file-open');
    const raw = String(ctx.params.content ?? '');
    const content =
      String(ctx.params.encode ?? '1') === '0' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    vm.guestFiles = { ...vm.guestFiles, [String(ctx.params.file)]: content };
    ctx.cluster.save();
    return null;
  },
  'GET /nodes/{node}/qemu/{vmid}/agent/file-read': (ctx) => {
    const vm = agentReady(ctx, 'guest-file-open');
    const content = readGuestFile(ctx.cluster, vm, String(ctx.params.file));
    const offset = Number(ctx.params.offset ?? 0);
    const count = Number(ctx.params.count ?? 16777216);
    const part = content.slice(offset, offset + count);
    // decode=0: the agent's base64 as is (PVE 9).
    const data =
      String(ctx.params.decode ?? '1') === '0' ? Buffer.from(part).toString('base64') : part;
    return { content: data, ...(offset + count < content.length ? { truncated: 1 } : {}) };
  },
  'POST /nodes/{node}/qemu/{vmid}/agent/ping': (ctx) => {
    agentReady(ctx, 'guest-ping');
    return { result: {} };
  },
  'GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces': (ctx) => ({
    result: interfaces(agentReady(ctx, 'guest-network-get-interfaces')),
  }),
  'POST /nodes/{node}/qemu/{vmid}/agent/exec': (ctx) => {
    const vm = agentReady(ctx, 'guest-exec');
    const argv = JSON.parse(String(ctx.params.command)) as string[];
    if (!argv.length || !argv[0])
      throw new ApiError(400, 'Parameter verification failed.', {
        command: 'no command specified',
      });
    const c = ctx.cluster;
    const pid = 1000 + Object.keys(c.state.execs).length;
    const runner = c.guests.get(vm.vmid);
    const e = {
      pid,
      vmid: vm.vmid,
      command: argv,
      start: Date.now(),
      exitcode: 0,
      outData: '',
      ...(runner ? { running: true } : runInGuestResult(c, vm, argv)),
    };
    c.state.execs[`${vm.vmid}:${pid}`] = e;
    c.save();
    // A VM with a host runs the program there, for real; its end is reported by exec-status.
    if (runner)
      void runner(argv, str(ctx, 'input-data'))
        .catch((err: unknown) => ({ exitcode: 255, out: '', err: String(err) }))
        .then((r) => {
          Object.assign(e, {
            exitcode: r.exitcode,
            outData: r.out,
            errData: r.err,
            running: false,
          });
          c.save();
        });
    return { pid };
  },
  'GET /nodes/{node}/qemu/{vmid}/agent/exec-status': (ctx) => {
    const vm = agentReady(ctx, 'guest-exec-status');
    const e = execOf(ctx.cluster, vm, Number(ctx.params.pid));
    if (e.running || Date.now() - e.start < 200 * ctx.cluster.scale) return { exited: 0 };
    return {
      exited: 1,
      exitcode: e.exitcode,
      ...(e.outData ? { 'out-data': e.outData } : {}),
      ...(e.errData ? { 'err-data': e.errData } : {}),
    };
  },
};
