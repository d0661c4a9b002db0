/**
 * The pcap-filter(7) subset the lab's tcpdump compiles (libpcap 1.10's grammar.y and gencode.c
 * for these primitives): `ip`, `arp`, `tcp`, `udp`, `icmp`; `[ip|arp] [src|dst] host ADDR`;
 * `[tcp|udp] [src|dst] port N`; a bare `src|dst ADDR` (a host); `and`/`&&`, `or`/`||`,
 * `not`/`!` and parentheses. As in pcap, `not` binds tightest and `and` and `or` have equal
 * precedence, left to right (`a or b and c` is `(a or b) and c`), and an address or number
 * alone after `and`/`or`/`not` takes the qualifiers of the primitive before it (`port 22 or
 * 80`). What the primitives match, as the BPF code libpcap generates for Ethernet does:
 *
 * - `host H`: an IPv4 packet from or to H, or an ARP packet whose sender or target protocol
 *   address is H (`src`: the IP source / ARP sender; `dst`: destination / target);
 * - `port P`: a TCP or UDP packet (first fragment or unfragmented: libpcap tests that the
 *   fragment offset is 0) with P as its source or destination port;
 * - `tcp`, `udp`, `icmp`: the IPv4 protocol field, every fragment.
 *
 * Errors are libpcap's: `can't parse filter expression: syntax error` (bison's message),
 * `unknown host 'NAME'`, `'tcp' modifier applied to host`, `illegal qualifier of 'port'`,
 * `illegal port number N > 65535`. A primitive or keyword of pcap-filter that the lab does not
 * implement (`net`, `ether`, `portrange`, `len`, `tcp[…]`, …) is refused by name.
 */
import { IPPROTO, type Skb } from '@ntbsim/net-core';

/** A compiled filter: whether a packet passes. */
export type PacketFilter = (skb: Skb) => boolean;

/** A filter expression libpcap would refuse (its message), or one the lab does not implement. */
export class FilterError extends Error {
  constructor(
    message: string,
    /** True when the lab refuses a valid pcap-filter construct it does not implement. */
    readonly unimplemented = false,
  ) {
    super(message);
  }
}

/** bison's yyerror through grammar.y: what libpcap 1.10 reports for any expression it cannot parse. */
const SYNTAX = "can't parse filter expression: syntax error";

/** pcap-filter keywords the lab does not implement: refused by name. */
const UNIMPLEMENTED = new Set([
  ...['ether', 'fddi', 'tr', 'wlan', 'ip6', 'rarp', 'atalk', 'aarp', 'decnet', 'iso', 'stp', 'ipx', 'netbeui', 'sctp', 'igmp', 'igrp', 'pim', 'ah', 'esp', 'vrrp', 'icmp6', 'carp', 'lat', 'sca', 'moprc', 'mopdl', 'radio', 'clnp', 'esis', 'isis'],
  ...['net', 'mask', 'portrange', 'gateway', 'proto', 'protochain', 'broadcast', 'multicast', 'less', 'greater', 'len', 'inbound', 'outbound', 'vlan', 'mpls', 'pppoed', 'pppoes', 'geneve', 'llc', 'ifname', 'on', 'rnr', 'rulenum', 'reason', 'rset', 'ruleset', 'srnr', 'subrulenum', 'action', 'type', 'subtype', 'dir'],
  ...['addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta', 'vpi', 'vci', 'lane', 'oam', 'oamf4', 'metac', 'bcc', 'sio', 'opc', 'dpc', 'sls', 'fisu', 'lssu', 'msu'],
]);

const PROTOS = new Set(['ip', 'arp', 'tcp', 'udp', 'icmp']);
const DIRS = new Set(['src', 'dst']);
const TYPES = new Set(['host', 'port']);

/** A primitive's qualifiers (pcap's `struct qual`): protocol, direction, type. */
interface Qual {
  readonly proto: string | null;
  readonly dir: 'src' | 'dst' | null;
  readonly type: 'host' | 'port' | null;
}

/** Split a filter expression into pcap's tokens: words, parentheses, `!`, `&&`, `||`. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(&&|\|\||[()!]|[^\s()!&|]+|[&|])/y;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push(m[1] as string);
    at = re.lastIndex;
  }
  if (text.slice(at).trim() !== '') throw new FilterError(SYNTAX);
  return out;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A host operand: a dotted quad, or `localhost` (/etc/hosts); any other name libpcap could not resolve without DNS. */
function hostAddr(word: string): number {
  if (word === 'localhost') return 0x7f000001;
  const m = DOTTED.exec(word);
  if (m === null || m.slice(1).some((p) => Number(p) > 255)) {
    if (/^[\d.]+$/.test(word)) throw new FilterError(`the lab's tcpdump takes a host as a dotted quad (a.b.c.d), not '${word}'`, true);
    throw new FilterError(`unknown host '${word}'`);
  }
  return m.slice(1).reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
}

const isProto = (skb: Skb, p: number): boolean => skb.l4.kind !== 'arp' && skb.ip.protocol === p;

/** The primitive `q` applied to the operand `id`. */
function primitive(q: Qual, id: string): PacketFilter {
  const type = q.type ?? (/^\d+$/.test(id) ? null : 'host');
  if (type === null) throw new FilterError(`the lab's tcpdump needs 'host' or 'port' before '${id}'`, true);
  if (type === 'host') {
    if (q.proto !== null && q.proto !== 'ip' && q.proto !== 'arp') throw new FilterError(`'${q.proto}' modifier applied to host`);
    const addr = hostAddr(id);
    const ipSide = (skb: Skb): boolean => skb.l4.kind !== 'arp' && (q.dir === 'dst' ? skb.ip.dst === addr : q.dir === 'src' ? skb.ip.src === addr : skb.ip.src === addr || skb.ip.dst === addr);
    const arpSide = (skb: Skb): boolean => {
      const a = skb.l4;
      if (a.kind !== 'arp') return false;
      return q.dir === 'dst' ? a.tpa === addr : q.dir === 'src' ? a.spa === addr : a.spa === addr || a.tpa === addr;
    };
    if (q.proto === 'ip') return ipSide;
    if (q.proto === 'arp') return arpSide;
    return (skb) => ipSide(skb) || arpSide(skb);
  }
  if (q.proto !== null && q.proto !== 'tcp' && q.proto !== 'udp') throw new FilterError("illegal qualifier of 'port'");
  if (!/^\d+$/.test(id)) throw new FilterError(`the lab's tcpdump takes port numbers, not service names ('${id}')`, true);
  const port = Number(id);
  if (port > 65535) throw new FilterError(`illegal port number ${id} > 65535`);
  return (skb) => {
    const l4 = skb.l4;
    if (l4.kind !== 'tcp' && l4.kind !== 'udp') return false;
    if ((skb.ip.fragOff ?? 0) > 0 || (q.proto !== null && l4.kind !== q.proto)) return false;
    return q.dir === 'src' ? l4.sport === port : q.dir === 'dst' ? l4.dport === port : l4.sport === port || l4.dport === port;
  };
}

/** A protocol alone (`tcp`, `arp`, …). */
function protoOnly(p: string): PacketFilter {
  switch (p) {
    case 'ip':
      return (skb) => skb.l4.kind !== 'arp';
    case 'arp':
      return (skb) => skb.l4.kind === 'arp';
    case 'tcp':
      return (skb) => isProto(skb, IPPROTO.TCP);
    case 'udp':
      return (skb) => isProto(skb, IPPROTO.UDP);
    default:
      return (skb) => isProto(skb, IPPROTO.ICMP);
  }
}

/** A recursive-descent parser over pcap's grammar for the subset. */
class Parser {
  private i = 0;
  private last: Qual = { proto: null, dir: null, type: null };

  constructor(private readonly toks: readonly string[]) {}

  parse(): PacketFilter {
    const f = this.expr();
    if (this.i < this.toks.length) throw new FilterError(SYNTAX);
    return f;
  }

  private peek(): string | undefined {
    return this.toks[this.i];
  }

  /** expr: term ((and|or) term)*, left to right at equal precedence. */
  private expr(): PacketFilter {
    let f = this.factor();
    for (let t = this.peek(); t === 'and' || t === '&&' || t === 'or' || t === '||'; t = this.peek()) {
      this.i++;
      const a = f;
      const b = this.factor();
      f = t === 'and' || t === '&&' ? (s) => a(s) && b(s) : (s) => a(s) || b(s);
    }
    return f;
  }

  /** factor: not factor | ( expr ) | primitive | an operand taking the last qualifiers. */
  private factor(): PacketFilter {
    const t = this.peek();
    if (t === undefined) throw new FilterError(SYNTAX);
    if (t === 'not' || t === '!') {
      this.i++;
      const f = this.factor();
      return (s) => !f(s);
    }
    if (t === '(') {
      this.i++;
      const f = this.expr();
      if (this.peek() !== ')') throw new FilterError(SYNTAX);
      this.i++;
      return f;
    }
    return this.primitive();
  }

  private primitive(): PacketFilter {
    const start = this.i;
    let proto: string | null = null;
    let dir: 'src' | 'dst' | null = null;
    let type: 'host' | 'port' | null = null;
    let t = this.peek();
    const refuse = (w: string): never => {
      throw new FilterError(`the lab's tcpdump does not implement the filter primitive '${w}' (it takes ip, arp, tcp, udp, icmp, [src|dst] host ADDR, [tcp|udp] [src|dst] port N, and, or, not, parentheses)`, true);
    };
    if (t !== undefined && (UNIMPLEMENTED.has(t) || /[[\]=<>+*/%^]/.test(t))) refuse(t);
    if (t !== undefined && PROTOS.has(t)) {
      proto = t;
      t = this.toks[++this.i];
    }
    if (t !== undefined && DIRS.has(t)) {
      dir = t as 'src' | 'dst';
      t = this.toks[++this.i];
      if (t === 'or' || t === 'and') refuse(`src ${t} dst`);
    }
    if (t !== undefined && UNIMPLEMENTED.has(t)) refuse(t);
    if (t !== undefined && TYPES.has(t)) {
      type = t as 'host' | 'port';
      t = this.toks[++this.i];
    }
    const qualified = this.i > start;
    const isOperand = t !== undefined && !PROTOS.has(t) && !DIRS.has(t) && !TYPES.has(t) && !['and', 'or', 'not', '&&', '||', '!', '(', ')'].includes(t);
    if (isOperand) {
      this.i++;
      const q: Qual = qualified ? { proto, dir, type } : this.last;
      this.last = q;
      return primitive(q, t as string);
    }
    // No operand: a protocol alone is a primitive; qualifiers that need an operand are a syntax error.
    if (proto !== null && dir === null && type === null) {
      this.last = { proto, dir: null, type: null };
      return protoOnly(proto);
    }
    throw new FilterError(SYNTAX);
  }
}

/**
 * Compile a filter expression (the command line's words after the options, joined with
 * spaces as tcpdump's `copy_argv` does); an empty one passes every packet. Throws FilterError.
 */
export function compileFilter(expression: string): PacketFilter {
  const toks = tokenize(expression);
  if (toks.length === 0) return () => true;
  return new Parser(toks).parse();
}
