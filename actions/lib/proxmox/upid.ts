/** The parts of a worker task id: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`. */
export interface Upid {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  /** Unix seconds. */
  starttime: number;
  type: string;
  id: string;
  user: string;
}

const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8,}):([^:\s]+):([^:\s]*):([^:\s]+):$/i;

/** Parses a UPID; undefined when `value` is not one. */
export function parseUpid(value: unknown): Upid | undefined {
  if (typeof value !== 'string') return undefined;
  const m = UPID_RE.exec(value.trim());
  if (!m) return undefined;
  return {
    upid: value.trim(),
    node: m[1],
    pid: parseInt(m[2], 16),
    pstart: parseInt(m[3], 16),
    starttime: parseInt(m[4], 16),
    type: m[5],
    id: m[6],
    user: m[7],
  };
}
