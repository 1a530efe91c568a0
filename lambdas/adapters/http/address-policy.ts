import type { BlockList as BlockListType } from 'node:net';

// node:net's CommonJS exports: BlockList is a getter there, which a bundle's builtins cannot export
// by name (lib/constructs/function.ts, builtinsAsCommonJs).
const { BlockList, isIP } = process.getBuiltinModule('node:net');

/**
 * Which IP addresses the `http_request` tool may connect to: the SSRF address filter.
 *
 * Every address a hop would connect to (a literal in the URL, or each DNS answer) goes through
 * {@link classifyAddress}. IPv4 is checked against the special-purpose ranges below; IPv6 is
 * allowed only inside global unicast 2000::/3 minus its special-purpose ranges, and IPv6 forms that
 * embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged
 * by the IPv4 address they embed, so `::ffff:127.0.0.1` is as blocked as `127.0.0.1`.
 *
 * Rules marked `always` stay blocked even when `allowPrivate` is set (a test-only switch): link-local
 * and cloud metadata endpoints, unspecified, multicast, broadcast and reserved space are never a
 * legitimate destination.
 */

export type AddressFamily = 4 | 6;

export interface AddressRule {
  readonly cidr: string;
  readonly label: string;
  /** Blocked even when private addresses are allowed (tests only). */
  readonly always: boolean;
}

/** Checked in order: the first match gives the label, so specific entries precede their supernets. */
export const BLOCKED_IPV4_RANGES: readonly AddressRule[] = [
  { cidr: '169.254.169.254/32', label: 'cloud metadata endpoint', always: true },
  { cidr: '100.100.100.200/32', label: 'cloud metadata endpoint (Alibaba)', always: true },
  { cidr: '192.0.0.192/32', label: 'cloud metadata endpoint (Oracle)', always: true },
  { cidr: '255.255.255.255/32', label: 'broadcast', always: true },
  { cidr: '0.0.0.0/8', label: 'unspecified ("this network")', always: true },
  { cidr: '10.0.0.0/8', label: 'private network', always: false },
  { cidr: '100.64.0.0/10', label: 'carrier-grade NAT (shared address space)', always: false },
  { cidr: '127.0.0.0/8', label: 'loopback', always: false },
  { cidr: '169.254.0.0/16', label: 'link-local (incl. ECS/EKS credential endpoints)', always: true },
  { cidr: '172.16.0.0/12', label: 'private network', always: false },
  { cidr: '192.0.0.0/24', label: 'IETF protocol assignments', always: false },
  { cidr: '192.0.2.0/24', label: 'documentation (TEST-NET-1)', always: false },
  { cidr: '192.88.99.0/24', label: '6to4 relay anycast (deprecated)', always: false },
  { cidr: '192.168.0.0/16', label: 'private network', always: false },
  { cidr: '198.18.0.0/15', label: 'benchmarking', always: false },
  { cidr: '198.51.100.0/24', label: 'documentation (TEST-NET-2)', always: false },
  { cidr: '203.0.113.0/24', label: 'documentation (TEST-NET-3)', always: false },
  { cidr: '224.0.0.0/4', label: 'multicast', always: true },
  { cidr: '240.0.0.0/4', label: 'reserved', always: true },
];

/**
 * IPv6 special-purpose ranges. Anything outside 2000::/3 that is not listed here (and embeds no
 * IPv4 address) is blocked too, as "not global unicast".
 */
export const BLOCKED_IPV6_RANGES: readonly AddressRule[] = [
  { cidr: 'fd00:ec2::254/128', label: 'cloud metadata endpoint (AWS IPv6)', always: true },
  { cidr: '::/128', label: 'unspecified', always: true },
  { cidr: '::1/128', label: 'loopback', always: false },
  { cidr: '::/96', label: 'IPv4-compatible (deprecated)', always: true },
  { cidr: '100::/64', label: 'discard-only', always: true },
  { cidr: '64:ff9b:1::/48', label: 'local-use NAT64', always: false },
  { cidr: '2001:db8::/32', label: 'documentation', always: false },
  { cidr: '2001::/23', label: 'IETF protocol assignments (Teredo, benchmarking, ORCHID)', always: false },
  { cidr: '3fff::/20', label: 'documentation', always: false },
  { cidr: '5f00::/16', label: 'SRv6 segment identifiers', always: false },
  { cidr: 'fc00::/7', label: 'unique local (private network)', always: false },
  { cidr: 'fe80::/10', label: 'link-local', always: true },
  { cidr: 'fec0::/10', label: 'site-local (deprecated)', always: false },
  { cidr: 'ff00::/8', label: 'multicast', always: true },
];

interface CompiledRule extends AddressRule {
  readonly list: BlockListType;
}

// One BlockList per rule so a hit can be named. Each family has its own rules and is only ever
// checked with addresses of that family: BlockList matches an IPv6 rule such as ::/3 against IPv4
// input (it maps it to ::ffff:a.b.c.d), which is not what we mean here.
const compile = (rules: readonly AddressRule[], type: 'ipv4' | 'ipv6'): CompiledRule[] =>
  rules.map((rule) => {
    const [network = '', prefix = ''] = rule.cidr.split('/');
    const list = new BlockList();
    list.addSubnet(network, Number(prefix), type);
    return { ...rule, list };
  });

const IPV4_RULES = compile(BLOCKED_IPV4_RANGES, 'ipv4');
const IPV6_RULES = compile(BLOCKED_IPV6_RANGES, 'ipv6');

export type AddressVerdict =
  | { readonly blocked: false; readonly family: AddressFamily; readonly address: string }
  | { readonly blocked: true; readonly reason: string };

export interface ClassifyOptions {
  /** Let loopback/private/documentation ranges through (tests only). `always` rules still apply. */
  readonly allowPrivate?: boolean;
}

/**
 * Decides whether an address may be connected to. Accepts canonical IPv4 dotted-quad and any IPv6
 * text form (a zone id is ignored for the check); anything else is blocked as "not an IP address",
 * so a resolver that returns garbage cannot smuggle a name past the filter.
 */
export function classifyAddress(address: string, options: ClassifyOptions = {}): AddressVerdict {
  const allowPrivate = options.allowPrivate === true;
  const bare = stripZone(address);
  const family = isIP(bare);
  if (family === 4)
    return judge(IPV4_RULES, bare, 'ipv4', allowPrivate) ?? { blocked: false, family, address };
  if (family !== 6) return { blocked: true, reason: 'not an IP address' };

  const bytes = ipv6ToBytes(bare);
  if (bytes === undefined) return { blocked: true, reason: 'not an IP address' };
  const embedded = embeddedIPv4(bytes);
  if (embedded !== undefined) {
    const inner = judge(IPV4_RULES, embedded.ipv4, 'ipv4', allowPrivate);
    if (inner !== undefined) return { blocked: true, reason: `${embedded.kind} ${inner.reason}` };
    // A translated form of a public IPv4 address is that public address.
    if (embedded.kind !== '6to4') return { blocked: false, family, address };
  }
  const hit = judge(IPV6_RULES, bare, 'ipv6', allowPrivate);
  if (hit !== undefined) return hit;
  const firstByte = bytes[0] ?? 0;
  if ((firstByte & 0xe0) !== 0x20 && !matches(IPV6_RULES, bare)) {
    return { blocked: true, reason: 'not global unicast (outside 2000::/3)' };
  }
  return { blocked: false, family, address };
}

function judge(
  rules: readonly CompiledRule[],
  address: string,
  type: 'ipv4' | 'ipv6',
  allowPrivate: boolean,
): { blocked: true; reason: string } | undefined {
  const rule = rules.find((r) => r.list.check(address, type));
  if (rule === undefined || (allowPrivate && !rule.always)) return undefined;
  return { blocked: true, reason: `${rule.label} (${rule.cidr})` };
}

const matches = (rules: readonly CompiledRule[], address: string) =>
  rules.some((r) => r.list.check(address, 'ipv6'));

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

/** Expands any valid IPv6 text (incl. `::` and a trailing dotted quad) to its 16 bytes. */
export function ipv6ToBytes(text: string): Uint8Array | undefined {
  let s = stripZone(text);
  if (isIP(s) !== 6) return undefined;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = tail.split('.').map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups =
    halves.length > 1 ? [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

type EmbeddingKind = 'IPv4-mapped' | 'IPv4-translated' | 'NAT64' | '6to4';

/** The IPv4 address carried by an IPv6 address of a translation/tunnel form, if any. */
function embeddedIPv4(bytes: Uint8Array): { kind: EmbeddingKind; ipv4: string } | undefined {
  const at = (offset: number) => Array.from(bytes.subarray(offset, offset + 4)).join('.');
  const zeroUpTo = (end: number) => bytes.subarray(0, end).every((b) => b === 0);
  // ::ffff:a.b.c.d
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return { kind: 'IPv4-mapped', ipv4: at(12) };
  // ::ffff:0:a.b.c.d (SIIT, RFC 2765)
  if (zeroUpTo(8) && bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0) {
    return { kind: 'IPv4-translated', ipv4: at(12) };
  }
  // 64:ff9b::a.b.c.d (well-known NAT64 prefix, RFC 6052)
  const nat64Prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
  if (nat64Prefix.every((b, i) => bytes[i] === b)) return { kind: 'NAT64', ipv4: at(12) };
  // 2002:aabb:ccdd::/48 (6to4, RFC 3056)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { kind: '6to4', ipv4: at(2) };
  return undefined;
}
