import { connect, createServer as createNet, type Server, type Socket } from 'node:net';
import { createServer as createTls } from 'node:tls';

/**
 * Vault clients (hvac, the vault CLI) send the non-standard `LIST` method, which Node's HTTP
 * parser refuses. This front end rewrites each `LIST /p` request line to `GET /p?list=true`
 * (Vault treats both alike) and relays bytes to the real HTTP server; with `tls` it also
 * terminates TLS. Request bodies are skipped by Content-Length; a chunked body ends rewriting
 * for that connection.
 */
export function listFrontEnd(
  innerPort: number,
  host: string,
  tls?: { cert: string; key: string },
): Server {
  const onConnection = (outer: Socket) => {
    const inner = connect(innerPort, host);
    let buf = Buffer.alloc(0);
    let bodyLeft = 0;
    let passthrough = false;
    outer.on('data', (chunk: Buffer) => {
      if (passthrough) return void inner.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, buf.length);
          inner.write(buf.subarray(0, n));
          buf = buf.subarray(n);
          bodyLeft -= n;
          if (bodyLeft > 0 || !buf.length) return;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > 65536) {
            passthrough = true;
            inner.write(buf);
          }
          return;
        }
        let head = buf.subarray(0, end + 4).toString('latin1');
        buf = buf.subarray(end + 4);
        head = head.replace(
          /^LIST (\S+) /,
          (_m, p: string) => `GET ${p}${p.includes('?') ? '&' : '?'}list=true `,
        );
        inner.write(Buffer.from(head, 'latin1'));
        if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
          passthrough = true;
          if (buf.length) inner.write(buf);
          return;
        }
        bodyLeft = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (!buf.length && !bodyLeft) return;
      }
    });
    inner.pipe(outer);
    const close = () => {
      outer.destroy();
      inner.destroy();
    };
    outer.on('error', close);
    inner.on('error', close);
    outer.on('end', () => inner.end());
    inner.on('close', () => outer.destroy());
  };
  return tls ? createTls({ cert: tls.cert, key: tls.key }, onConnection) : createNet(onConnection);
}
