import { ConfigurationError } from '../errors.js';
import type { VmSpec } from '../vm/types.js';
import type { PlanAction } from './plan-types.js';
import {
  AgentUnverifiableError,
  buildVm,
  destroyVm,
  recordAgentOk,
  startAndWaitForAgent,
  type Building,
  type StepContext,
  type StepTimer,
} from './vm-steps.js';

/** How many more VMs health remediation may recreate this run (health.max_recreate). */
export interface RecreateBudget {
  left: number;
  /** health.max_recreate, for the sentence. */
  max: number;
}

/** What remediation needs from the run besides the VM: the recreate budget and hooks. */
export interface RemediateHooks {
  recreates: RecreateBudget;
  setBuilding: (v: boolean) => void;
  markNew: (ip: string | undefined) => unknown;
}

/**
 * Runs one remedy. Returns why the VM was left as it is when it stays hung and the run may
 * not recreate it (health.max_recreate reached); throws when the remedy failed. Recreates
 * only a VM whose agent Proxmox still reports silent after the reset: one whose health
 * turned unknown (a 403, a node answering 5xx) is never destroyed.
 */
export async function remediate(
  ctx: StepContext,
  spec: VmSpec,
  a: PlanAction,
  b: Building,
  t: StepTimer,
  hooks: RemediateHooks,
): Promise<string | undefined> {
  const { client } = ctx;
  const vmid = a.vmid!;
  const label = `VM ${spec.name}`;
  t.begin(a.remedy ?? 'remediate', a.remedy === 'stop' ? 'the stop task' : 'the guest agent');
  const wait = async (upid: string, op: string) => {
    await client.waitForTask(upid, { operation: `${op} of VM ${spec.name}` });
    t.mark(op);
    return undefined;
  };
  switch (a.remedy) {
    case 'start': {
      if (!spec.agent) return wait(await client.start(a.node, vmid), 'start');
      const upid = await client.start(a.node, vmid);
      let answered: string[] | undefined;
      try {
        answered = await startAndWaitForAgent(ctx, a.node, vmid, upid, `start of ${label}`);
      } catch (err) {
        if (!(err instanceof AgentUnverifiableError)) throw err;
        ctx.log.warn(`${spec.name}: started; ${err.message}`);
        t.mark('start');
        return undefined;
      }
      if (answered) await recordAgentOk(ctx, a.node, vmid, label);
      else
        ctx.log.warn(
          `${spec.name}: started, but its guest agent did not answer within ` +
            `${Math.round(ctx.agentWaitMs / 1000)} s; the next plan checks it again.`,
        );
      t.mark('start+agent');
      return undefined;
    }
    case 'stop':
      return wait(await client.stop(a.node, vmid), 'stop');
    case 'resume':
      return wait(await client.resume(a.node, vmid), 'resume');
    case 'reset':
    case 'recreate': {
      if (a.remedy === 'reset') {
        const addresses = await startAndWaitForAgent(
          ctx,
          a.node,
          vmid,
          await client.reset(a.node, vmid),
          `reset of VM ${spec.name}`,
        );
        t.mark('reset+agent');
        if (addresses) {
          await recordAgentOk(ctx, a.node, vmid, label);
          return undefined;
        }
        if (a.escalation !== 'recreate') {
          throw new ConfigurationError(
            `VM ${spec.name} (${vmid}) is still hung after a reset: its guest agent did ` +
              `not answer within ${Math.round(ctx.agentWaitMs / 1000)} s.`,
          );
        }
        if (hooks.recreates.left <= 0) {
          return (
            `still hung after a reset, but health.max_recreate (${hooks.recreates.max}) ` +
            `allows no more recreates this run; not recreated, the next run recreates it if ` +
            `it is still hung.`
          );
        }
        ctx.log.warn(`${spec.name}: still hung after the reset; recreating it with VMID ${vmid}.`);
      } else if (hooks.recreates.left <= 0) {
        return (
          `hung, but health.max_recreate (${hooks.recreates.max}) allows no more recreates ` +
          `this run; not recreated.`
        );
      }
      hooks.recreates.left--;
      await destroyVm(ctx, a.node, vmid, `VM ${spec.name}`);
      t.mark('destroy');
      hooks.setBuilding(true);
      hooks.markNew(await buildVm(ctx, spec, b, t, vmid));
      hooks.setBuilding(false);
      return undefined;
    }
    default:
      return undefined;
  }
}
