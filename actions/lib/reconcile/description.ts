/**
 * pve-gitops keeps what Proxmox does not record (the template a VM was cloned from, full or
 * linked clone, the boot during which the guest agent answered apply) in a hidden last line
 * of the VM's notes. The GUI renders notes as Markdown, where an HTML comment is invisible.
 */

const META_RE = /\n*<!-- pve-gitops (.*?) -->\s*$/;

export interface DescriptionMeta {
  template?: string;
  fullClone?: boolean;
  /**
   * Start of the boot (epoch seconds, now − uptime) during which apply saw the guest agent
   * answer; plan skips the agent probe while the VM is still in that boot.
   */
  agentOk?: number;
  /**
   * The repository owning the VM, written by the clone call itself, so a VM is never without an
   * owner mark even when apply dies before its tags are set.
   */
  owner?: string;
  /** Set at clone, cleared when the build finished: the VM is half-made while it is there. */
  building?: boolean;
}

/**
 * Two boot starts this close (seconds) are the same boot. Covers the ~10 s refresh of the
 * uptime in cluster/resources, whole-second uptimes, and a few seconds of clock difference
 * between the machines that ran apply and plan. A reboot is at least one boot-to-agent time
 * after the recorded boot start, far more than this on real guests.
 */
export const BOOT_MATCH_SECONDS = 20;

/** Start of the current boot in epoch seconds, from a clock (ms) and an uptime (s). */
export function bootStart(nowMs: number, uptimeSeconds: number): number {
  return Math.round(nowMs / 1000 - uptimeSeconds);
}

/** Description PVE should hold for a user description plus metadata. */
export function composeDescription(user: string | undefined, meta: DescriptionMeta): string {
  const parts: string[] = [];
  if (meta.owner) parts.push(`owner=${meta.owner}`);
  if (meta.template) parts.push(`template=${meta.template}`);
  if (meta.fullClone !== undefined) parts.push(`full_clone=${meta.fullClone ? 1 : 0}`);
  if (meta.building) parts.push('building=1');
  if (meta.agentOk !== undefined) parts.push(`agent-ok=${meta.agentOk}`);
  const line = `<!-- pve-gitops ${parts.join(' ')} -->`;
  const text = user?.trim();
  return text ? `${text}\n\n${line}` : line;
}

/** Splits a PVE description into the user text and pve-gitops metadata. */
export function splitDescription(value: string | undefined): { user?: string } & DescriptionMeta {
  if (!value) return {};
  const m = META_RE.exec(value);
  if (!m) return { user: value.trim() || undefined };
  const user = value.slice(0, m.index).trim() || undefined;
  const meta: DescriptionMeta = {};
  for (const kv of m[1].split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k === 'template' && v) meta.template = v;
    if (k === 'full_clone') meta.fullClone = v === '1';
    if (k === 'agent-ok' && /^\d+$/.test(v ?? '')) meta.agentOk = Number(v);
    if (k === 'owner' && v) meta.owner = v;
    if (k === 'building') meta.building = v === '1';
  }
  return { user, ...meta };
}
