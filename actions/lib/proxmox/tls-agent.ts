import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { TlsTrust } from './config.js';

/** Error codes our agent gives TLS failures, so the transport can tell them from TCP ones. */
export const FINGERPRINT_MISMATCH = 'ERR_PVE_FINGERPRINT_MISMATCH';

/** Error raised when the peer certificate's SHA-256 is not the pinned one. */
export class FingerprintMismatchError extends Error {
  readonly code = FINGERPRINT_MISMATCH;
  constructor(
    readonly expected: string,
    readonly received: string,
  ) {
    super(`certificate fingerprint mismatch: expected ${expected}, received ${received}`);
  }
}

/** Marks an error raised after the TCP connection was up, i.e. during the TLS handshake. */
export const TLS_PHASE = Symbol('tlsPhase');

/**
 * A keep-alive HTTPS agent that hands a socket to the HTTP layer only after the TLS handshake
 * and our own checks passed, so no request byte (and no Authorization header) ever reaches a
 * peer whose certificate does not match the pinned fingerprint.
 */
export class ProxmoxAgent extends https.Agent {
  constructor(
    private readonly trust: TlsTrust,
    private readonly connectTimeoutMs: number,
    maxSockets: number,
  ) {
    // No TLS session cache: a resumed session must not skip the fingerprint check.
    super({
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      maxCachedSessions: 0,
      scheduling: 'lifo',
    });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const cb = callback!;
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const pinned = this.trust.mode === 'fingerprint' ? this.trust.fingerprint : undefined;
    const socket = tls.connect({
      host,
      port: Number(options.port ?? 443),
      servername: net.isIP(host) ? undefined : host,
      ca: this.trust.mode === 'ca' ? this.trust.caPem : undefined,
      // Pinning replaces CA validation (PVE certificates are self-signed by the cluster CA);
      // the pin is checked below on the certificate actually presented.
      rejectUnauthorized: this.trust.mode === 'system' || this.trust.mode === 'ca',
      ALPNProtocols: ['http/1.1'],
    });
    let tcpUp = false;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      if (tcpUp) Object.assign(err, { [TLS_PHASE]: true });
      socket.destroy();
      cb(err, socket);
    };
    const timer = setTimeout(
      () => fail(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })),
      this.connectTimeoutMs,
    );
    socket.once('connect', () => (tcpUp = true));
    const onError = (err: Error) => {
      clearTimeout(timer);
      fail(err);
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      if (pinned) {
        const received = socket.getPeerCertificate().fingerprint256?.toUpperCase() ?? '(none)';
        if (received !== pinned) return fail(new FingerprintMismatchError(pinned, received));
      }
      if (settled) return;
      settled = true;
      socket.off('error', onError);
      cb(null, socket);
    });
    return undefined;
  }
}
