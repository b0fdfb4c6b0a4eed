// Looks for known secret values where nobody but their owner may see them: the argv of every
// process on this machine (the simulated VMs are sshd processes here too, so guests are
// included) and files readable by group or others. Shared by test/secrets-flow.test.ts and
// test/reliability/secrets.cases.ts.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads /proc/<pid>/cmdline of every process now; NULs become spaces. */
export function sampleArgv(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (argv) out.push(argv.replace(/\0/g, ' '));
    } catch {
      // Gone between readdir and read: a short-lived process, nothing to see.
    }
  }
  return out;
}

/** Samples argv every `everyMs` until stop(); stop() returns every distinct command line seen. */
export function argvSampler(everyMs = 20): { stop(): string[]; samples(): number } {
  const seen = new Set<string>();
  let n = 0;
  const tick = () => {
    n++;
    for (const a of sampleArgv()) seen.add(a);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return [...seen];
    },
    samples: () => n,
  };
}

/** Every regular file under `dir` (symlinks not followed); [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) out.push(...filesUnder(p));
      else if (st.isFile()) out.push(p);
    } catch {
      // Removed while we looked.
    }
  }
  return out;
}

/** Secret values worth looking for: at least 8 characters, so none matches by chance. */
export function usableSecrets(values: Iterable<string | undefined>): string[] {
  return [...new Set([...values].filter((v): v is string => !!v && v.length >= 8))];
}

/** The base64 lines of a PEM or OpenSSH private key: any one of them betrays the key. */
export function keyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
}

export interface Leak {
  where: string;
  /** The first characters of the secret, enough to tell which one without printing it. */
  secret: string;
}

/** `text` with every secret replaced, so that a failing test prints none of them. */
function hideAll(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('<secret>'), text);
}

/** Command lines that hold a secret. */
export function argvLeaks(argvs: readonly string[], secrets: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  for (const a of argvs) {
    const hit = secrets.find((s) => a.includes(s));
    if (hit)
      leaks.push({ where: `argv: ${hideAll(a, secrets).slice(0, 200)}`, secret: hit.slice(0, 4) });
  }
  return leaks;
}

/** Files that hold a secret and that group or others may read (mode not 0600 or stricter). */
export function fileLeaks(files: readonly string[], secrets: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  for (const f of files) {
    let text: string;
    let mode: number;
    try {
      mode = lstatSync(f).mode;
      if (!(mode & 0o077)) continue;
      text = readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    const s = secrets.find((x) => text.includes(x));
    if (s)
      leaks.push({ where: `${f} (mode ${(mode & 0o777).toString(8)})`, secret: s.slice(0, 4) });
  }
  return leaks;
}
