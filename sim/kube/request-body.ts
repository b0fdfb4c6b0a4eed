import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';
import type { KubeObject } from './store.js';

/** A request body, up to the 3 MiB the real server accepts. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 3 << 20)
      throw new ApiError(
        413,
        'RequestEntityTooLarge',
        'Request entity too large: limit is 3145728',
      );
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${yaml ? 'yaml' : 'json'}): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

export const asObject = (v: unknown): KubeObject => {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw badRequest("Object 'Kind' is missing in the request body");
  const o = v as KubeObject;
  o.metadata = { ...(o.metadata ?? {}) };
  return o;
};
