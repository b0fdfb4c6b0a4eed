/** One host's line of Ansible's PLAY RECAP. */
export interface RecapEntry {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

const LINE = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)(?:\s|$)/;

/** The PLAY RECAP lines of ansible-playbook's default output, in order. */
export function parseRecap(output: string): RecapEntry[] {
  const out: RecapEntry[] = [];
  const at = output.lastIndexOf('PLAY RECAP');
  if (at < 0) return out;
  for (const line of output.slice(at).split('\n').slice(1)) {
    const m = LINE.exec(line.trim());
    if (m)
      out.push({
        host: m[1],
        ok: Number(m[2]),
        changed: Number(m[3]),
        unreachable: Number(m[4]),
        failed: Number(m[5]),
      });
  }
  return out;
}

/** Hosts that failed or were unreachable, as `name (failed)` / `name (unreachable)`. */
export function failedHosts(recap: RecapEntry[]): string[] {
  return recap
    .filter((r) => r.failed > 0 || r.unreachable > 0)
    .map((r) => `${r.host} (${r.unreachable > 0 ? 'unreachable' : 'failed'})`);
}
