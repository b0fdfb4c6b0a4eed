import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { registerKey, registerSecret } from '../secrets.js';
import { readPrivateKeyFile } from '../ssh/key-file.js';

/** How the API's certificate is trusted. Exactly one mode; never a silent downgrade. */
export type TlsTrust =
  | { mode: 'system' }
  | { mode: 'ca'; caFile: string; caPem: string }
  /** SHA-256 of the server certificate, upper-case hex with colons, as the PVE GUI shows it. */
  | { mode: 'fingerprint'; fingerprint: string }
  | { mode: 'insecure' };

/** SSH to a node running pvesh, used when the API cannot be reached. */
export interface SshConfig {
  host: string;
  port: number;
  user: string;
  /** Private key text (OpenSSH or PEM). Registered as a secret. */
  privateKey: string;
  /** known_hosts file the node's host key is checked against. */
  knownHostsFile: string;
  /** Adds an unknown host's key to knownHostsFile instead of refusing. Explicit opt-in only. */
  trustOnFirstUse: boolean;
}

export interface ClientConfig {
  /** Base URL without path, e.g. `https://pve1:8006`. */
  url: string;
  tokenId: string;
  tokenSecret: string;
  tls: TlsTrust;
  ssh?: SshConfig;
}

const TOKEN_ID_RE = /^[^\s@!:=]+@[^\s@!:=]+![A-Za-z][A-Za-z0-9._-]*$/;

/** Normalises a SHA-256 fingerprint (any case, colons optional) to `AB:CD:…`; undefined if invalid. */
export function normaliseFingerprint(value: string): string | undefined {
  const hex = value
    .trim()
    .replace(/^sha256[:=]?/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

function isTrue(v: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(v?.trim() ?? '');
}

/**
 * Reads the client settings from the environment (PROXMOX_URL, PROXMOX_TOKEN_ID,
 * PROXMOX_TOKEN_SECRET, PROXMOX_TLS_FINGERPRINT | PROXMOX_CA_FILE | PROXMOX_INSECURE, and the
 * optional PROXMOX_SSH_* fallback). Throws ConfigurationError naming the variable at fault.
 */
export function clientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const secret = env.PROXMOX_TOKEN_SECRET?.trim();
  registerSecret(secret);
  const rawUrl = env.PROXMOX_URL?.trim();
  if (!rawUrl)
    throw new ConfigurationError('PROXMOX_URL is not set; set it to https://<host>:8006.');
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new ConfigurationError(
      `PROXMOX_URL '${rawUrl}' is not a URL; expected https://<host>:8006.`,
    );
  }
  if (parsed.protocol !== 'https:') {
    throw new ConfigurationError(
      `PROXMOX_URL '${rawUrl}' must start with https:// (Proxmox VE serves HTTPS only).`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new ConfigurationError(
      'PROXMOX_URL must not contain credentials; use PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET.',
    );
  }
  const url = `https://${parsed.host}`;

  const tokenId = env.PROXMOX_TOKEN_ID?.trim();
  if (!tokenId)
    throw new ConfigurationError('PROXMOX_TOKEN_ID is not set; expected user@realm!tokenname.');
  if (!TOKEN_ID_RE.test(tokenId)) {
    throw new ConfigurationError(
      `PROXMOX_TOKEN_ID '${tokenId}' is malformed; expected user@realm!tokenname, e.g. gitops@pve!ci.`,
    );
  }
  if (!secret)
    throw new ConfigurationError(
      'PROXMOX_TOKEN_SECRET is not set; create an API token and put its secret there.',
    );
  if (/[\s=]/.test(secret)) {
    throw new ConfigurationError(
      'PROXMOX_TOKEN_SECRET is malformed: it must not contain spaces or "=" (it is the UUID shown once when the token was created).',
    );
  }

  const fp = env.PROXMOX_TLS_FINGERPRINT?.trim();
  const caFile = env.PROXMOX_CA_FILE?.trim();
  const insecureRaw = env.PROXMOX_INSECURE?.trim();
  if (insecureRaw && !/^(1|0|true|false|yes|no|on|off)$/i.test(insecureRaw)) {
    throw new ConfigurationError(
      `PROXMOX_INSECURE '${insecureRaw}' is not a boolean; use true or false.`,
    );
  }
  const insecure = isTrue(insecureRaw);
  const chosen = [
    fp && 'PROXMOX_TLS_FINGERPRINT',
    caFile && 'PROXMOX_CA_FILE',
    insecure && 'PROXMOX_INSECURE',
  ].filter(Boolean);
  if (chosen.length > 1) {
    throw new ConfigurationError(
      `Set only one of ${chosen.join(', ')}: they are alternative ways to trust the Proxmox certificate.`,
    );
  }
  let tls: TlsTrust = { mode: 'system' };
  if (fp) {
    const fingerprint = normaliseFingerprint(fp);
    if (!fingerprint) {
      throw new ConfigurationError(
        `PROXMOX_TLS_FINGERPRINT '${fp}' is not a SHA-256 fingerprint; expected 64 hex digits, e.g. as shown under Node > System > Certificates.`,
      );
    }
    tls = { mode: 'fingerprint', fingerprint };
  } else if (caFile) {
    let caPem: string;
    try {
      caPem = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new ConfigurationError(
        `PROXMOX_CA_FILE '${caFile}' cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      );
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigurationError(
        `PROXMOX_CA_FILE '${caFile}' holds no PEM certificate; use /etc/pve/pve-root-ca.pem from a node.`,
      );
    }
    tls = { mode: 'ca', caFile, caPem };
  } else if (insecure) {
    tls = { mode: 'insecure' };
  }
  return { url, tokenId, tokenSecret: secret, tls, ssh: sshConfigFromEnv(env, parsed.hostname) };
}

/** The SSH fallback settings, or undefined when PROXMOX_SSH_USER and PROXMOX_SSH_KEY are unset. */
export function sshConfigFromEnv(
  env: NodeJS.ProcessEnv,
  defaultHost: string,
): SshConfig | undefined {
  const user = env.PROXMOX_SSH_USER?.trim();
  const key = env.PROXMOX_SSH_KEY;
  if (!user && !key) return undefined;
  if (!user)
    throw new ConfigurationError(
      'PROXMOX_SSH_KEY is set but PROXMOX_SSH_USER is not; set both for the SSH fallback (usually root).',
    );
  if (!key?.trim())
    throw new ConfigurationError(
      'PROXMOX_SSH_USER is set but PROXMOX_SSH_KEY is not; set it to a private key or the path of one.',
    );
  let privateKey = key;
  if (key.includes('-----BEGIN')) registerKey(privateKey.trim());
  else if (existsSync(key.trim())) privateKey = readPrivateKeyFile(key.trim(), 'PROXMOX_SSH_KEY');
  else
    throw new ConfigurationError(
      'PROXMOX_SSH_KEY is neither a private key nor the path of a readable key file.',
    );
  const portRaw = env.PROXMOX_SSH_PORT?.trim() || '22';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigurationError(`PROXMOX_SSH_PORT '${portRaw}' is not a port number.`);
  }
  const tofuRaw = env.PROXMOX_SSH_TRUST_ON_FIRST_USE?.trim();
  return {
    host: env.PROXMOX_SSH_HOST?.trim() || defaultHost,
    port,
    user,
    privateKey,
    knownHostsFile:
      env.PROXMOX_SSH_KNOWN_HOSTS?.trim() || path.join(os.homedir(), '.ssh', 'known_hosts'),
    trustOnFirstUse: isTrue(tofuRaw),
  };
}
