// A node's network interfaces and certificates (pve-manager PVE/API2/Network.pm,
// PVE/API2/Certificates.pm): vmbr0 carries the node's address, as on a real node.
import { X509Certificate } from 'node:crypto';
import { str, type HandlerContext, type Routes } from '../context.js';
import { hasPriv } from '../auth.js';
import { nodeIp, nodeOf } from './cluster.js';

export const nodeRoutes: Routes = {
  'GET /nodes/{node}/network': (ctx) => {
    const n = nodeOf(ctx.cluster, String(ctx.params.node));
    const type = str(ctx, 'type');
    const all = [
      { iface: 'eno1', type: 'eth', active: 1, method: 'manual', families: ['inet'], priority: 1 },
      ...n.bridges
        .map((b, i) => ({
          iface: b.iface,
          type: 'bridge',
          ...(b.active ? { active: 1 } : {}),
          autostart: 1,
          bridge_ports: i === 0 ? 'eno1' : '',
          bridge_stp: 'off',
          bridge_fd: '0',
          method: i === 0 ? 'static' : 'manual',
          // The management bridge holds the node's address (the one /cluster/status reports).
          ...(i === 0
            ? {
                address: nodeIp(ctx.cluster, n),
                netmask: '24',
                cidr: `${nodeIp(ctx.cluster, n)}/24`,
                gateway: '127.0.1.254',
              }
            : {}),
          families: ['inet'],
          priority: i + 2,
        }))
        // pve-manager PVE/API2/Network.pm: bridges need SDN.Audit or SDN.Use on the zone.
        .filter((b) =>
          ['SDN.Audit', 'SDN.Use'].some((p) =>
            hasPriv(ctx.who, `/sdn/zones/localnetwork/${b.iface}`, p),
          ),
        ),
    ];
    return type && type !== 'any_bridge'
      ? all.filter((x) => x.type === type)
      : type
        ? all.filter((x) => x.type === 'bridge')
        : all;
  },

  'GET /nodes/{node}/certificates/info': (ctx: HandlerContext) => {
    nodeOf(ctx.cluster, String(ctx.params.node));
    const { certPem, fingerprint } = ctx.tls();
    const x = new X509Certificate(certPem);
    return [
      {
        filename: 'pve-ssl.pem',
        fingerprint,
        subject: x.subject.replace(/\n/g, ', '),
        issuer: x.issuer.replace(/\n/g, ', '),
        notbefore: Math.floor(new Date(x.validFrom).getTime() / 1000),
        notafter: Math.floor(new Date(x.validTo).getTime() / 1000),
        'public-key-type':
          x.publicKey.asymmetricKeyType === 'ec' ? 'id-ecPublicKey' : 'rsaEncryption',
        'public-key-bits': 256,
        san: (x.subjectAltName ?? '').split(', ').map((s) => s.replace(/^(IP Address|DNS):/, '')),
        pem: certPem,
      },
    ];
  },
};
