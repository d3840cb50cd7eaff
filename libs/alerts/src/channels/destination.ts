import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a notification may go. Outside the local default, a channel must not reach the
 * service's own network (SSRF): private, loopback, link-local, shared, multicast and reserved
 * ranges are refused unless ALERTS_ALLOW_PRIVATE_DESTINATIONS says otherwise. The check runs on
 * the addresses a name resolves to at connect time (not at creation only), so a name that later
 * resolves inward is refused too.
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // ::/96 holds :: and ::1 and the deprecated IPv4-compatible addresses (::7f00:1 is 127.0.0.1).
  ['::', 96],
  ['2002::', 16],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** Says which kind of address was refused, not which one (how internal names resolve is no one's business). */
export class DestinationRefusedError extends Error {
  readonly code = 'EDESTINATIONREFUSED';
  constructor() {
    super('destination refused: the host is or resolves to a private, loopback or reserved address');
  }
}

/** Whether an IP address is in a range a notification must not reach. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return FORBIDDEN.check(mapped[1], 'ipv4');
  return FORBIDDEN.check(address, 'ipv6');
}

/** The host of a URL as an IP literal (brackets removed), or null for a name. */
export function literalAddress(host: string): string | null {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) ? bare : null;
}

/**
 * A `lookup` for http.request / net.connect that resolves as usual and refuses the connection
 * when an address is forbidden (any of them, so a name cannot smuggle one in among others).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isForbiddenAddress(a.address));
      if (refused) return callback(new DestinationRefusedError(), '', 0);
      if ((options as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      }
      const [first] = addresses;
      callback(null, first.address, first.family);
    });
  };
}

/** The refusal of a URL whose host is a forbidden IP literal (names are checked when they resolve). */
export function literalRefusal(url: URL, allowPrivate: boolean): DestinationRefusedError | null {
  const address = literalAddress(url.hostname);
  return address && !allowPrivate && isForbiddenAddress(address) ? new DestinationRefusedError() : null;
}
