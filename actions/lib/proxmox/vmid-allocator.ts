import { PveGitopsError } from '../errors.js';
import { errorKind } from './errors.js';

interface NextIdSource {
  nextId(vmid?: number): Promise<number>;
}

/**
 * Hands out VMIDs one caller at a time. Proxmox has no reservation (`/cluster/nextid` can
 * give two callers the same id), so each candidate is confirmed with `nextid?vmid=` and ids
 * this client handed out are never offered twice, even before their VM exists.
 */
export class VmidAllocator {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly handedOut = new Set<number>();

  constructor(private readonly api: NextIdSource) {}

  /** A free VMID, from `preferred` (or the cluster's next id) upwards. */
  allocate(preferred?: number): Promise<number> {
    const run = this.tail.then(() => this.find(preferred));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async find(preferred?: number): Promise<number> {
    let candidate = preferred ?? (await this.api.nextId());
    for (let tries = 0; tries < 200; tries++) {
      while (this.handedOut.has(candidate)) candidate++;
      try {
        const confirmed = await this.api.nextId(candidate);
        this.handedOut.add(confirmed);
        return confirmed;
      } catch (err) {
        if (errorKind(err) !== 'already-exists') throw err;
        candidate++;
      }
    }
    throw new PveGitopsError(
      `No free VMID found from ${preferred ?? 'the next id'} after 200 tries.`,
    );
  }
}
