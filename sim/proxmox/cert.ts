import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A self-signed certificate with its key and the fingerprint as the PVE GUI shows it. */
export interface SimCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

/** SHA-256 of the DER certificate, upper-case hex with colons (PVE GUI format). */
export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.toUpperCase();
}

/** Generates a P-256 self-signed certificate for 127.0.0.1, ::1 and localhost with openssl. */
export function generateCertificate(commonName = 'pve-gitops-sim'): SimCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '3650',
        '-subj',
        `/CN=${commonName}/O=PVE Cluster Node`,
        '-addext',
        'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const certPem = readFileSync(cert, 'utf8');
    return { certPem, keyPem: readFileSync(key, 'utf8'), fingerprint: fingerprintOf(certPem) };
  } catch (err) {
    throw new Error(`Could not generate the simulator's TLS certificate with openssl.`, {
      cause: err,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The certificate kept in `stateDir` (created on first use, mode 0600), so the fingerprint
 * stays the same across runs; without a state dir, a fresh one. `name` picks a second
 * certificate (the "swapped" one of the fault spec).
 */
export function loadOrCreateCertificate(
  stateDir: string | undefined,
  name = 'pve-ssl',
): SimCertificate {
  if (!stateDir) return generateCertificate(name);
  const certFile = path.join(stateDir, `${name}.pem`);
  const keyFile = path.join(stateDir, `${name}.key`);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = readFileSync(certFile, 'utf8');
    return { certPem, keyPem: readFileSync(keyFile, 'utf8'), fingerprint: fingerprintOf(certPem) };
  }
  const c = generateCertificate(name);
  writeFileSync(keyFile, c.keyPem, { mode: 0o600 });
  writeFileSync(certFile, c.certPem, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return c;
}
