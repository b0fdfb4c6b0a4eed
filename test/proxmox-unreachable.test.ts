// Nothing listening at PROXMOX_URL is reported at once (one quick retry at most), while a
// refusal after the API has answered (a proxy restarting mid-run) keeps the full retries.
// Connection attempts are counted where node opens sockets (diagnostics_channel), not timed.
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientConfigFromEnv,
  DEFAULT_RETRY,
  fakeClock,
  HttpsTransport,
  ProxmoxClient,
  ProxmoxConnectionError,
} from '../actions/lib/proxmox/index.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { closedLoopbackPort } from './net-helpers.js';

const attempts = new Map<number, number>();
const onSocket = (msg: unknown) => {
  const socket = (msg as { socket: net.Socket }).socket;
  // The port is known once the socket starts connecting; count on the first lookup/connect.
  socket.once('connectionAttempt', (_ip: string, port: number) =>
    attempts.set(port, (attempts.get(port) ?? 0) + 1),
  );
};

function client(url: string, sim: Pick<ProxmoxSim, 'tokenId' | 'tokenSecret' | 'fingerprint'>) {
  const clock = fakeClock();
  const c = new ProxmoxClient({
    transport: new HttpsTransport(
      clientConfigFromEnv({
        PROXMOX_URL: url,
        PROXMOX_TOKEN_ID: sim.tokenId,
        PROXMOX_TOKEN_SECRET: sim.tokenSecret,
        PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
      }),
    ),
    clock,
  });
  return { c, clock };
}

let sim: ProxmoxSim;
beforeAll(async () => {
  diagnostics.subscribe('net.client.socket', onSocket);
  sim = await startProxmoxSim({ timeScale: 0.01 });
});
afterAll(async () => {
  diagnostics.unsubscribe('net.client.socket', onSocket);
  await sim?.stop();
});

describe('a Proxmox URL where nothing listens', () => {
  it('fails after at most two connection attempts with the sentence naming PROXMOX_URL', async () => {
    const { port, url } = await closedLoopbackPort();
    const { c, clock } = client(url, sim);
    const err = await c.version().catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(ProxmoxConnectionError);
    expect((err as Error).message).toBe(
      `Cannot reach the Proxmox API at PROXMOX_URL (${url}): connection refused.`,
    );
    const n = attempts.get(port) ?? 0;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(2);
    expect(clock.slept.length).toBeLessThanOrEqual(1);
  });

  it('keeps retrying a refusal once the API has answered (a restart mid-run)', async () => {
    const other = await startProxmoxSim({ timeScale: 0.01 });
    const port = Number(new URL(other.url).port);
    const { c, clock } = client(other.url, other);
    expect((await c.version()).version).toBeTruthy();
    await other.stop();
    const before = attempts.get(port) ?? 0;
    const err = await c.version().catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(ProxmoxConnectionError);
    expect((err as Error).message).toMatch(/PROXMOX_URL/);
    // Every attempt of the policy went to the port, with a backoff between them.
    expect((attempts.get(port) ?? 0) - before).toBeGreaterThanOrEqual(DEFAULT_RETRY.attempts);
    expect(clock.slept).toHaveLength(DEFAULT_RETRY.attempts - 1);
  });
});
