import net from 'node:net';

/** A loopback address and port where nothing listens, and the https:// URL for them. */
export interface ClosedPort {
  host: string;
  port: number;
  url: string;
}

/**
 * A port that stays closed for the rest of the run: a random address in 127.200.0.0/16, where
 * nothing else in the suite listens (servers bind 127.0.0.x), so no parallel test file can take
 * the port between this call and the connection that expects "connection refused". Binding
 * port 0 there once finds a port that is free on that address; it is closed again at once.
 */
export async function closedLoopbackPort(): Promise<ClosedPort> {
  const host = `127.200.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
  const port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  return { host, port, url: `https://${host}:${port}` };
}
