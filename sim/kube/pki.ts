import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A cluster's certificates: its CA, the API server's serving pair, the admin client pair. */
export interface ClusterPki {
  caPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function signed(
  dir: string,
  name: string,
  subj: string,
  ext: string[],
): { cert: string; key: string } {
  openssl(dir, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subj,
  ]);
  writeFileSync(
    path.join(dir, `${name}.ext`),
    [
      ...ext,
      'basicConstraints=CA:FALSE',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
    ].join('\n'),
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '3650',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
  return {
    cert: readFileSync(path.join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
  };
}

/**
 * Generates a k3s-like PKI with openssl: a CA named as k3s names it, a serving certificate for
 * `ips` plus 127.0.0.1 and the kubernetes names, and a `system:admin` client in `system:masters`.
 */
export function generateClusterPki(ips: string[]): ClusterPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-sim-pki-'));
  try {
    openssl(dir, [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      `/CN=k3s-server-ca@${Math.floor(Date.now() / 1000)}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
    ]);
    const sans = [...new Set([...ips, '127.0.0.1'])].map((ip) => `IP:${ip}`);
    sans.push(
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    );
    const server = signed(dir, 'server', '/O=k3s/CN=k3s', [
      `subjectAltName=${sans.join(',')}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ]);
    const admin = signed(dir, 'admin', '/O=system:masters/CN=system:admin', [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
    return {
      caPem: readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
      caKeyPem: readFileSync(path.join(dir, 'ca.key'), 'utf8'),
      serverCertPem: server.cert,
      serverKeyPem: server.key,
      adminCertPem: admin.cert,
      adminKeyPem: admin.key,
    };
  } catch (err) {
    throw new Error('Could not generate the Kubernetes simulator certificates with openssl.', {
      cause: err,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
