/**
 * Which IPv4 and MAC addresses can belong to one VM's interface. A multicast, broadcast,
 * reserved or all-zero value is accepted by PVE and cloud-init alike and then breaks the
 * network of the guest (or of its neighbours) at boot, so validate refuses it.
 * Ranges: RFC 1122 3.2.1.3 (0.0.0.0/8 "this network"), RFC 5771 (224.0.0.0/4 multicast),
 * RFC 1112 4 (240.0.0.0/4 reserved, 255.255.255.255 limited broadcast); IEEE 802: the low bit
 * of the first MAC octet marks a group (multicast/broadcast) address.
 */

/** Why a dotted IPv4 address (its value `n`) cannot be a host's own address, or undefined. */
export function unicastProblem(n: number): string | undefined {
  const first = Math.floor(n / 2 ** 24);
  if (n === 0) return 'the all-zero address';
  if (first === 0) return 'in 0.0.0.0/8, which no host may use';
  if (n === 2 ** 32 - 1) return 'the broadcast address';
  if (first >= 224 && first <= 239) return 'a multicast address';
  if (first >= 240) return 'in the reserved range 240.0.0.0/4';
  return undefined;
}

/** Why `n` with `prefix` is its subnet's network or broadcast address (prefix <= 30), or undefined. */
export function subnetEdgeProblem(n: number, prefix: number): string | undefined {
  if (prefix > 30) return undefined;
  const size = 2 ** (32 - prefix);
  if (n % size === 0) return 'the network address of its subnet';
  if (n % size === size - 1) return 'the broadcast address of its subnet';
  return undefined;
}

/** Why a `XX:XX:XX:XX:XX:XX` MAC cannot be an interface's address, or undefined. */
export function macProblem(mac: string): string | undefined {
  const octets = mac.split(':').map((o) => parseInt(o, 16));
  if (octets.length !== 6 || octets.some((o) => !(o >= 0 && o <= 255)))
    return 'is not a MAC address like BC:24:11:2E:C5:4A';
  if (octets.every((o) => o === 0)) return 'is all zeros, which no interface may use';
  if (octets[0] & 1) return 'is a multicast (group) address, not a unicast one';
  return undefined;
}
