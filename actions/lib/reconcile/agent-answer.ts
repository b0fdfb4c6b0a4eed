import { ProxmoxApiError, ProxmoxConnectionError } from '../proxmox/errors.js';

/**
 * What a failed guest-agent call says about the guest. Only `silent` is evidence that the
 * guest is hung; every other failure says something about the token, the API or the node,
 * and leaves the guest's health unknown.
 */
export interface AgentFailure {
  silent: boolean;
  /** Why, as a phrase with Proxmox's own words: "the API token may not … (403 …)". */
  reason: string;
}

/**
 * PVE's answer when the agent does not answer `guest-ping` within 3 s
 * (qemu-server, PVE::QemuServer::Agent::assert_agent_available); it is also what a VM
 * whose `agent` key is set but disabled answers, as it has no agent channel at all.
 */
const NOT_RUNNING = /QEMU guest agent is not running/i;

/**
 * Classifies a failed guest-agent call. `agentConfigured`: the VM's config enables the agent;
 * without it "not running" only means there is no channel to ask, not a hung guest.
 */
export function classifyAgentFailure(err: unknown, agentConfigured: boolean): AgentFailure {
  if (err instanceof ProxmoxApiError) {
    const said = `${err.status} ${err.reason}`;
    if (err.status === 401) return unknown(`Proxmox refused the API token (${said})`);
    if (err.status === 403) return unknown(`the API token may not call the guest agent (${said})`);
    if (err.status === 501) return unknown(`Proxmox does not serve the guest-agent call (${said})`);
    if (err.status >= 595 && err.status <= 599)
      return unknown(`the node did not answer for the guest (${said})`);
    if (NOT_RUNNING.test(err.reason)) {
      return agentConfigured
        ? { silent: true, reason: err.reason }
        : unknown(`its config does not enable the guest agent, so Proxmox cannot ask it (${said})`);
    }
    return unknown(`Proxmox answered ${said}`);
  }
  if (err instanceof ProxmoxConnectionError)
    return unknown(`Proxmox could not be reached (${err.message})`);
  return unknown(err instanceof Error ? err.message : String(err));
}

const unknown = (reason: string): AgentFailure => ({ silent: false, reason });

/**
 * Failures that waiting cannot change: the token's rights, or an API without the call. A
 * wait for the agent gives up on these at once.
 */
export function isFinalAgentFailure(err: unknown): boolean {
  return err instanceof ProxmoxApiError && [401, 403, 501].includes(err.status);
}
