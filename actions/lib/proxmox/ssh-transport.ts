import { NodeSSH } from 'node-ssh';
import { PveGitopsError } from '../errors.js';
import type { SshConfig } from './config.js';
import { ProxmoxApiError, ProxmoxConnectionError } from './errors.js';
import { verifyHostKey } from './known-hosts.js';
import { Limiter } from './limiter.js';
import { shellQuote } from './shell-quote.js';
import { normaliseParams, type HttpMethod, type Params, type Transport } from './transport.js';
import { parseUpid } from './upid.js';

export interface SshTransportOptions {
  /** Remote command; default `pvesh`. */
  pvesh?: string;
  /** Concurrent exec channels (sshd's MaxSessions is 10). Default 8. */
  maxSessions?: number;
  connectTimeoutMs?: number;
  /** Parameters passed on stdin rather than in the SSH exec request. */
  secretParams?: readonly string[];
}

const VERBS: Record<HttpMethod, string> = {
  GET: 'get',
  POST: 'create',
  PUT: 'set',
  DELETE: 'delete',
};
const PARAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const TASK_PATH = /^\/nodes\/[^/]+\/tasks\/([^/]+)\/(status|log)$/;

interface FinishedTask {
  log: string[];
}

/**
 * The API through `pvesh` on a node over SSH. pvesh runs worker tasks synchronously (log on
 * stdout, then the UPID; failures on stderr, exit 255), so a UPID it prints is already
 * finished: its status and log are answered here, and waitForTask works unchanged.
 */
export class SshTransport implements Transport {
  readonly description: string;
  private connection?: Promise<NodeSSH>;
  private readonly limiter: Limiter;
  private readonly tasks = new Map<string, FinishedTask>();
  private readonly pvesh: string;
  private readonly secretParams: Set<string>;

  constructor(
    private readonly config: SshConfig,
    private readonly options: SshTransportOptions = {},
  ) {
    this.description = `ssh ${config.user}@${config.host}:${config.port}`;
    this.limiter = new Limiter(options.maxSessions ?? 8);
    this.pvesh = options.pvesh ?? 'pvesh';
    this.secretParams = new Set(options.secretParams ?? ['cipassword', 'password']);
  }

  /** The node (host) commands run on. */
  get host(): string {
    return this.config.host;
  }

  async request(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    const local = this.answerFinishedTask(method, path);
    if (local !== undefined) return local;
    const { command, stdin } = this.command(method, path, params);
    const res = await this.limiter.run(async () => {
      const ssh = await this.connect();
      try {
        return await ssh.execCommand(command, { stdin });
      } catch (err) {
        // The command may have run: report it as in flight, never replay it blindly.
        this.connection = undefined;
        ssh.dispose();
        throw new ProxmoxConnectionError(
          `SSH to ${this.config.user}@${this.config.host} broke during ${VERBS[method]} ${path}: ${(err as Error).message}.`,
          'in-flight',
          (err as NodeJS.ErrnoException).code,
          { cause: err },
        );
      }
    });
    if (res.code === 0) return this.parseOutput(res.stdout);
    throw parseFailure(method, path, res.code, res.stderr);
  }

  /** Builds the remote shell line; every word single-quoted, secrets read from stdin. */
  command(method: HttpMethod, path: string, params?: Params): { command: string; stdin?: string } {
    const words = [shellQuote(this.pvesh), VERBS[method], shellQuote(decodeURIComponent(path))];
    const secrets: string[] = [];
    for (const [k, v] of normaliseParams(params)) {
      if (!PARAM_NAME.test(k)) throw new PveGitopsError(`Invalid Proxmox parameter name '${k}'.`);
      if (this.secretParams.has(k)) {
        if (/[\r\n]/.test(v)) throw new PveGitopsError(`The value of ${k} must be a single line.`);
        words.push(`--${k}`, `"$s${secrets.length}"`);
        secrets.push(v);
      } else {
        words.push(`--${k}`, shellQuote(v));
      }
    }
    words.push('--output-format', 'json');
    if (!secrets.length) return { command: words.join(' ') };
    const reads = secrets.map((_, i) => `IFS= read -r s${i}`).join(' && ');
    return { command: `${reads} && ${words.join(' ')}`, stdin: secrets.join('\n') + '\n' };
  }

  private parseOutput(stdout: string): unknown {
    const lines = stdout.split('\n').filter((l) => l.trim());
    if (!lines.length) return null;
    const last = lines[lines.length - 1];
    let data: unknown;
    try {
      data = JSON.parse(last);
    } catch {
      try {
        return JSON.parse(stdout) as unknown;
      } catch {
        return last.trim();
      }
    }
    const upid = parseUpid(data);
    if (upid) this.tasks.set(upid.upid, { log: lines.slice(0, -1) });
    return data;
  }

  private answerFinishedTask(method: HttpMethod, path: string): unknown {
    const m = method === 'GET' ? TASK_PATH.exec(path) : null;
    const task = m ? this.tasks.get(decodeURIComponent(m[1])) : undefined;
    if (!m || !task) return undefined;
    if (m[2] === 'status')
      return { status: 'stopped', exitstatus: 'OK', upid: decodeURIComponent(m[1]) };
    return [...task.log, 'TASK OK'].map((t, i) => ({ n: i + 1, t }));
  }

  private async connect(): Promise<NodeSSH> {
    const current = this.connection;
    // A node reboot or an idle timeout drops the connection; open a new one then.
    if (current && !(await current.then((s) => s.isConnected()).catch(() => false))) {
      if (this.connection === current) this.connection = undefined;
    }
    this.connection ??= this.open().catch((err: unknown) => {
      this.connection = undefined;
      throw err;
    });
    return this.connection;
  }

  private async open(): Promise<NodeSSH> {
    const ssh = new NodeSSH();
    const { host, port, user, privateKey, knownHostsFile, trustOnFirstUse } = this.config;
    let refusal: string | undefined;
    try {
      await ssh.connect({
        host,
        port,
        username: user,
        privateKey,
        readyTimeout: this.options.connectTimeoutMs ?? 15_000,
        hostVerifier: (key: Buffer) => {
          const verdict = verifyHostKey(knownHostsFile, host, port, key, trustOnFirstUse);
          if (!verdict.ok) refusal = verdict.reason;
          return verdict.ok;
        },
      });
    } catch (err) {
      if (refusal) throw new PveGitopsError(`Refusing SSH to ${user}@${host}: ${refusal}.`);
      const code = (err as NodeJS.ErrnoException).code;
      const why = (err as Error).message.includes('authentication methods failed')
        ? 'the key in PROXMOX_SSH_KEY was not accepted'
        : (err as Error).message;
      throw new ProxmoxConnectionError(
        `SSH to ${user}@${host}:${port} failed: ${why}.`,
        'connect',
        code,
        { cause: err },
      );
    }
    return ssh;
  }

  close(): Promise<void> {
    const c = this.connection;
    this.connection = undefined;
    return c ? c.then((s) => s.dispose()).catch(() => undefined) : Promise.resolve();
  }
}

/** Turns pvesh's stderr into the same error the HTTPS API gives. */
export function parseFailure(
  method: HttpMethod,
  path: string,
  code: number | null,
  stderr: string,
): ProxmoxApiError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  let status = 500;
  let message = lines[0] ?? `pvesh exited with ${code ?? 'a signal'}`;
  const head = /^(\d{3}) (.*)$/.exec(message);
  if (head) {
    status = Number(head[1]);
    message = head[2]!;
  }
  const errors: Record<string, string> = {};
  if (status === 400) {
    for (const l of lines.slice(1)) {
      const m = /^([A-Za-z0-9_-]+): (.*)$/.exec(l);
      if (m) errors[m[1]] = m[2]!;
    }
  }
  return new ProxmoxApiError({ status, message, method, path, errors });
}
