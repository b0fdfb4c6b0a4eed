/** HTTP verbs of the Proxmox API; pvesh names them get, create, set, delete. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A parameter value. Booleans go out as 1/0; arrays repeat the key. */
export type ParamValue = string | number | boolean | string[] | undefined;
export type Params = Record<string, ParamValue>;

/**
 * How the client talks to Proxmox: one call per API request, answering the bare `data`.
 * Implementations: HTTPS API (`HttpsTransport`), SSH to a node running pvesh
 * (`SshTransport`), and the two together (`FallbackTransport`).
 */
export interface Transport {
  /** `path` is relative to /api2/json, starting with `/`. Throws ProxmoxApiError or ProxmoxConnectionError. */
  request(method: HttpMethod, path: string, params?: Params): Promise<unknown>;
  /** Where requests go, for messages ("https://pve:8006" or "ssh root@pve"). */
  readonly description: string;
  close(): Promise<void>;
}

/** Parameters without undefined values, booleans as 1/0, numbers as strings. */
export function normaliseParams(params: Params | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const one of values)
      out.push([k, typeof one === 'boolean' ? (one ? '1' : '0') : String(one)]);
  }
  return out;
}

/** `application/x-www-form-urlencoded` with `%20` for spaces (PVE decodes both). */
export function formEncode(params: Params | undefined): string {
  return normaliseParams(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Encodes one path segment (node names, UPIDs, disk ids). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
