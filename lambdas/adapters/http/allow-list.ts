import { isIP } from 'node:net';
import { InvalidHttpPolicy } from './errors.ts';

/**
 * The host allow-list of the `http_request` tool.
 *
 * Entry syntax: `host`, `host:port`, `*.domain`, `*.domain:port`, `[ipv6]`, `[ipv6]:port`.
 * - Hosts are normalized like the URLs they are matched against (WHATWG URL: lower case, IDN →
 *   punycode, IPv4 in any notation → dotted quad), and one trailing dot is dropped on both sides.
 * - `*.example.com` matches any subdomain at any depth (`a.example.com`, `a.b.example.com`) but not
 *   `example.com` itself: list both if both are meant. A wildcard needs at least two labels
 *   (`*.com` is refused) and never matches an IP literal. A bare `*` is refused: there is no
 *   "allow everything" switch.
 * - Ports: an entry without a port admits only the scheme's default port (443, or 80 for http);
 *   an entry with a port admits exactly that port (`api.example.com:443` is the same as no port for
 *   https). So `https://api.example.com:8443/` needs the entry `api.example.com:8443`.
 */
export interface HostRule {
  readonly wildcard: boolean;
  /** Normalized host (IPv6 without brackets). */
  readonly host: string;
  /** Required port; undefined = the scheme's default port only. */
  readonly port: number | undefined;
}

/** Normalizes a URL hostname: IPv6 without brackets, no trailing dot. */
export function normalizeHostname(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/** Parses one allow-list entry; throws {@link InvalidHttpPolicy} with the entry when it is malformed. */
export function parseAllowEntry(raw: string): HostRule {
  const entry = raw.trim();
  const fail = (why: string): never => {
    throw new InvalidHttpPolicy(`allow-list entry "${entry}": ${why}`);
  };
  if (entry === '' || entry === '*') fail('must name a host');
  const wildcard = entry.startsWith('*.');
  const rest = wildcard ? entry.slice(2) : entry;
  const match = /^(\[[^\]]+\]|[^:/?#@[\]]+)(?::(\d{1,5}))?$/.exec(rest);
  if (match === null) return fail('expected host, host:port or *.domain');
  const [, hostPart = '', portPart] = match;
  let port: number | undefined;
  if (portPart !== undefined) {
    port = Number(portPart);
    if (port < 1 || port > 65_535) fail('port out of range');
  }
  let url: URL;
  try {
    url = new URL(`http://${hostPart}/`);
  } catch {
    return fail('not a valid host name');
  }
  const host = normalizeHostname(url.hostname);
  if (host === '' || host.includes('*')) fail('not a valid host name');
  if (wildcard) {
    if (isIP(host) !== 0) fail('a wildcard cannot cover IP addresses');
    if (!host.includes('.')) fail('a wildcard needs at least two labels (e.g. *.example.com)');
  }
  return { wildcard, host, port };
}

/**
 * True when a normalized hostname and its effective port (explicit or default) are admitted by a
 * rule. `defaultPort` is the scheme's default port.
 */
export function hostAllowed(
  rules: readonly HostRule[],
  hostname: string,
  port: number,
  defaultPort: number,
): boolean {
  const literal = isIP(hostname) !== 0;
  return rules.some((rule) => {
    const portOk = rule.port === undefined ? port === defaultPort : port === rule.port;
    if (!portOk) return false;
    if (!rule.wildcard) return hostname === rule.host;
    // At least one non-empty label in front: `.example.com` is not a subdomain.
    return !literal && hostname.length > rule.host.length + 1 && hostname.endsWith(`.${rule.host}`);
  });
}
