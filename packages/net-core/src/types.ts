/**
 * Contracts of the networking core: what a network driver implements (`NetDeviceOps`, the
 * `net_device_ops` of include/linux/netdevice.h), the counters it and the stack keep
 * (`rtnl_link_stats64`, /proc/net/snmp, tcp_info), the sysctls the stack reads, and the
 * results the socket calls return. Socket calls return the expected failures of the hot path
 * (`EAGAIN`, `ENOBUFS`, `ECONNREFUSED`, …) as `{ ok: false, errno }`, as a syscall returns
 * `-errno`; misuse throws `NetError`.
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NetErrno } from './errors.js';
import type { QdiscKind } from './sched/qdisc.js';
import type { Skb } from './skb.js';
import type { TcpSocket } from './tcp/tcpSocket.js';
import type { VethEnd } from './veth.js';

/** What `ndo_start_xmit` returns: NETDEV_TX_OK (the skb is the driver's) or NETDEV_TX_BUSY (requeue it). */
export type NetdevTx = 'ok' | 'busy';

/** What `dev_queue_xmit` returns: NET_XMIT_SUCCESS, NET_XMIT_DROP or NET_XMIT_CN. */
export type NetXmit = 'success' | 'drop' | 'cn';

/** What `netif_rx` returns: NET_RX_SUCCESS or NET_RX_DROP. */
export type NetRx = 'success' | 'drop';

/**
 * The driver side of a net_device (`struct net_device_ops`). Each method runs in the caller's
 * context and charges its own costs to `ctx`. The driver owns the skb once `startXmit`
 * returns `'ok'` and must `skb.free()` it (dev_kfree_skb) when done; on `'busy'` the core
 * keeps it and requeues it at the head of the queue.
 */
export interface NetDeviceOps {
  /** ndo_open: bring the device up (`ip link set up`); 0 or a negative errno. */
  open(ctx?: ExecContext): number;
  /** ndo_stop: take the device down (`ip link set down`). */
  stop(): void;
  /** ndo_start_xmit: transmit `skb` on queue `skb.queueMapping`; NETDEV_TX_OK or NETDEV_TX_BUSY. */
  startXmit(skb: Skb, ctx: ExecContext): NetdevTx;
  /** ndo_change_mtu: 0 (after setting `dev.mtu`) or a negative errno, e.g. `-ERRNO.EINVAL`; without it the core sets `dev.mtu` (__dev_set_mtu). */
  changeMtu?(newMtu: number): number;
  /** ndo_select_queue: the TX queue for `skb` (capped to the real queue count by the core). */
  selectQueue?(skb: Skb, ctx: ExecContext): number;
}

/** Device counters (`struct rtnl_link_stats64`, `ip -s link`); drivers update them, the core adds its drops. */
export interface NetDevStats {
  /** Packets received. */
  rxPackets: number;
  /** Packets transmitted. */
  txPackets: number;
  /** Bytes received (frames as the driver counts them). */
  rxBytes: number;
  /** Bytes transmitted. */
  txBytes: number;
  /** Bad packets received. */
  rxErrors: number;
  /** Packet transmit problems. */
  txErrors: number;
  /** Received packets dropped (no buffer, backlog full: netdev core_stats). */
  rxDropped: number;
  /** Transmit packets dropped by the driver or on a down device. */
  txDropped: number;
  /** Multicast packets received. */
  multicast: number;
  /** Collisions. */
  collisions: number;
  /** Received frames with a bad length. */
  rxLengthErrors: number;
  /** Receiver ring buffer overflow. */
  rxOverErrors: number;
  /** Received frames with a CRC error. */
  rxCrcErrors: number;
  /** Received frame alignment errors. */
  rxFrameErrors: number;
  /** Receiver FIFO overrun (ntb_netdev: RX re-post failed). */
  rxFifoErrors: number;
  /** Receiver missed packets. */
  rxMissedErrors: number;
  /** Transmit aborted. */
  txAbortedErrors: number;
  /** Transmit carrier errors. */
  txCarrierErrors: number;
  /** Transmit FIFO errors. */
  txFifoErrors: number;
  /** Transmit heartbeat errors. */
  txHeartbeatErrors: number;
  /** Transmit window errors. */
  txWindowErrors: number;
  /** Compressed packets received. */
  rxCompressed: number;
  /** Compressed packets sent. */
  txCompressed: number;
  /** Packets dropped because no protocol handled them. */
  rxNohandler: number;
  /** Packets dropped as addressed to another host's MAC (rx_otherhost_dropped: ip_rcv's PACKET_OTHERHOST). */
  rxOtherhostDropped: number;
}

/** A carrier/admin state change callback (NETDEV_CHANGE / linkwatch). */
export type LinkChangeFn = (event: { readonly up: boolean; readonly carrier: boolean }) => void;

/** An IPv4 socket address. */
export interface SockAddr {
  /** Dotted-quad address. */
  readonly addr: string;
  /** Port (1..65535). */
  readonly port: number;
}

/** A failed socket call: the errno a syscall would return. */
export interface NetFailure {
  /** Always false. */
  readonly ok: false;
  /** Errno name, e.g. `EAGAIN`. */
  readonly errno: NetErrno;
}

/** Result of a call that returns nothing but may fail (connect, bind). */
export type OpResult = { readonly ok: true } | NetFailure;

/** Result of send/sendto/sendfile: bytes accepted by the socket. */
export type SendResult = { readonly ok: true; readonly bytes: number } | NetFailure;

/** Result of a stream recv: bytes copied (0 = end of stream) and, in functional mode, the bytes. */
export type RecvResult = { readonly ok: true; readonly bytes: number; readonly data: Uint8Array | null } | NetFailure;

/** Result of a datagram recv (recvfrom): one datagram, possibly truncated to the buffer. */
export type DatagramResult =
  | {
      readonly ok: true;
      /** Bytes copied to the caller. */
      readonly bytes: number;
      /** The bytes (functional mode) or null. */
      readonly data: Uint8Array | null;
      /** The sender. */
      readonly from: SockAddr;
      /** True if the datagram was longer than the buffer (MSG_TRUNC). */
      readonly truncated: boolean;
    }
  | NetFailure;

/** Result of reading an ICMP echo reply from a ping socket. */
export type EchoReplyResult =
  | {
      readonly ok: true;
      /** Replying host. */
      readonly from: string;
      /** Echo identifier. */
      readonly id: number;
      /** Echo sequence number. */
      readonly seq: number;
      /** ICMP payload bytes (without the 8-byte ICMP header). */
      readonly bytes: number;
      /** The payload (functional mode) or null. */
      readonly data: Uint8Array | null;
      /** IP TTL of the reply. */
      readonly ttl: number;
    }
  | NetFailure;

/**
 * Result of reading a ping socket's error queue (recvmsg MSG_ERRQUEUE with IP_RECVERR): an ICMP
 * error about one of its echo requests (`sock_extended_err`, origin SO_EE_ORIGIN_ICMP).
 */
export type IcmpErrorResult =
  | {
      readonly ok: true;
      /** The errno the error maps to (icmp_err_convert): EHOSTUNREACH for host unreachable. */
      readonly errno: NetErrno;
      /** ICMP type (3 destination unreachable). */
      readonly type: number;
      /** ICMP code (1 host unreachable). */
      readonly code: number;
      /** The host that sent the error (the offender address, dotted quad). */
      readonly from: string;
      /** Sequence number of the echo request it is about. */
      readonly seq: number;
    }
  | NetFailure;

/** Result of accept: a connected socket. */
export type AcceptResult = { readonly ok: true; readonly sock: TcpSocket } | NetFailure;

/** Readiness of a socket (poll/select). */
export interface PollEvents {
  /** Data (or EOF, or a pending connection) can be read without blocking. */
  readonly readable: boolean;
  /** Data can be written without blocking. */
  readonly writable: boolean;
  /** A socket error is pending (SO_ERROR). */
  readonly error: boolean;
  /** The connection is closed in both directions (POLLHUP). */
  readonly hup: boolean;
}

/** The sysctls the stack reads (net.core.*, net.ipv4.*), with Linux defaults. Byte values in bytes. */
export interface NetSysctls {
  /** net.core.wmem_max: SO_SNDBUF clamp (bytes). Default 212992. */
  wmemMax: number;
  /** net.core.rmem_max: SO_RCVBUF clamp (bytes). Default 212992. */
  rmemMax: number;
  /** net.core.wmem_default: UDP/ICMP send buffer (bytes). Default 212992. */
  wmemDefault: number;
  /** net.core.rmem_default: UDP/ICMP receive buffer (bytes). Default 212992. */
  rmemDefault: number;
  /** net.core.netdev_max_backlog: per-CPU backlog limit (packets). Default 1000. */
  netdevMaxBacklog: number;
  /** net.core.netdev_budget: packets per NET_RX run. Default 300. */
  netdevBudget: number;
  /** net.core.netdev_budget_usecs: time per NET_RX run (µs). Default 2000. */
  netdevBudgetUsecs: number;
  /** net.core.dev_weight: packets per backlog poll. Default 64. */
  devWeight: number;
  /** net.core.dev_weight_tx_bias × dev_weight: packets per qdisc run. Default 64. */
  devTxWeight: number;
  /** net.core.default_qdisc: the qdisc a device gets at its first open (attach_default_qdiscs), one of `QDISC_KINDS`. Default `pfifo_fast` (the kernel's; systemd's sysctl.d sets `fq_codel`). */
  defaultQdisc: QdiscKind;
  /** net.core.txrehash: re-pick the flow hash on RTO. Default true. */
  txrehash: boolean;
  /** net.core.rps_sock_flow_entries: entries of the global RFS table, where sockets record the CPU that last read or wrote them (rounded up to a power of 2, at most 2^29; 0 = RFS off). Default 0. */
  rpsSockFlowEntries: number;
  /** net.core.somaxconn: listen backlog cap. Default 4096. */
  somaxconn: number;
  /** net.ipv4.tcp_wmem min/default/max (bytes). Default 4096 16384 4194304. */
  tcpWmem: readonly [number, number, number];
  /** net.ipv4.tcp_rmem min/default/max (bytes). Default 4096 131072 6291456. */
  tcpRmem: readonly [number, number, number];
  /**
   * net.ipv4.tcp_mem min/pressure/max (pages) of all TCP sockets of the host: above max a
   * socket cannot grow its send or receive memory (beyond tcp_wmem[0]/tcp_rmem[0]), above
   * pressure TCP moderates its buffers until below min. Default: from the host's RAM
   * (`tcpMemFromRam`, tcp_init_mem); `DEFAULT_SYSCTLS` holds the value for 4 GiB.
   */
  tcpMem: readonly [number, number, number];
  /** net.ipv4.tcp_timestamps (RFC 7323 TSopt). Default true. */
  tcpTimestamps: boolean;
  /** net.ipv4.tcp_window_scaling. Default true. */
  tcpWindowScaling: boolean;
  /** net.ipv4.tcp_moderate_rcvbuf: receive-buffer autotuning. Default true. */
  tcpModerateRcvbuf: boolean;
  /** net.ipv4.tcp_limit_output_bytes: TCP small queues cap (bytes). Default 4194304 (Linux ≥ 6.16). */
  tcpLimitOutputBytes: number;
  /** net.ipv4.tcp_syn_retries. Default 6. */
  tcpSynRetries: number;
  /** net.ipv4.tcp_synack_retries. Default 5. */
  tcpSynackRetries: number;
  /** net.ipv4.tcp_retries2: RTO retries before ETIMEDOUT. Default 15. */
  tcpRetries2: number;
  /** net.ipv4.tcp_reordering: dupack threshold. Default 3. */
  tcpReordering: number;
  /**
   * net.ipv4.tcp_ecn: RFC 3168 ECN of TCP — 0 never, 1 request it on outgoing connections and
   * accept it on incoming ones, 2 accept it only. Default 2. Linux 6.18's AccECN modes 3..5 are
   * not modelled.
   */
  tcpEcn: number;
  /** net.ipv4.tcp_ecn_fallback: a retransmitted SYN no longer asks for ECN (tcp_ecn_clear_syn, RFC 3168 6.1.1.1). Default true. */
  tcpEcnFallback: boolean;
  /** net.ipv4.tcp_congestion_control: the congestion control of new sockets, one of tcp_available_congestion_control (`reno`, `cubic`). Default `cubic`. */
  tcpCongestionControl: string;
  /** net.ipv4.ip_local_port_range (inclusive). Default 32768 60999. */
  ipLocalPortRange: readonly [number, number];
  /** net.ipv4.ip_default_ttl. Default 64. */
  ipDefaultTtl: number;
  /** net.ipv4.ipfrag_high_thresh: above this much reassembly memory every new fragment is refused (bytes). Default 4194304; 0 refuses all. */
  ipfragHighThresh: number;
  /** net.ipv4.ipfrag_low_thresh (bytes), at most ipfrag_high_thresh; unused by Linux since 4.17, kept for `sysctl`. Default 3145728. */
  ipfragLowThresh: number;
  /** net.ipv4.ipfrag_time: how long an incomplete datagram is kept (s). Default 30. */
  ipfragTime: number;
}

/** A subset of `struct tcp_info` (getsockopt TCP_INFO, `ss -ti`), times in µs. */
export interface TcpInfo {
  /** TCP state name (ESTABLISHED, …). */
  readonly state: string;
  /** Congestion state: open, disorder, recovery or loss (TCP_CA_*). */
  readonly caState: string;
  /** Consecutive RTO retransmissions (icsk_retransmits). */
  readonly retransmits: number;
  /** RTO backoff exponent. */
  readonly backoff: number;
  /** Current RTO (µs). */
  readonly rto: number;
  /** Current delayed-ACK timeout (µs). */
  readonly ato: number;
  /** Sender MSS (payload bytes per segment). */
  readonly sndMss: number;
  /** Receiver's estimate of the peer MSS (bytes). */
  readonly rcvMss: number;
  /** Segments sent and not yet acknowledged (packets_out). */
  readonly unacked: number;
  /** Segments counted as delivered by duplicate ACKs (Reno sacked_out). */
  readonly sacked: number;
  /** Segments marked lost. */
  readonly lost: number;
  /** Retransmitted segments in flight. */
  readonly retrans: number;
  /** Path MTU (bytes). */
  readonly pmtu: number;
  /** Receive slow-start threshold (bytes). */
  readonly rcvSsthresh: number;
  /** Smoothed RTT (µs). */
  readonly rtt: number;
  /** RTT variance (µs). */
  readonly rttvar: number;
  /** Slow-start threshold (segments). */
  readonly sndSsthresh: number;
  /** Congestion window (segments). */
  readonly sndCwnd: number;
  /** MSS advertised to the peer (bytes). */
  readonly advmss: number;
  /** Receiver-side RTT estimate (µs). */
  readonly rcvRtt: number;
  /** Receiver autotuning space (bytes). */
  readonly rcvSpace: number;
  /** Segments retransmitted over the connection's life. */
  readonly totalRetrans: number;
  /** Bytes acknowledged by the peer. */
  readonly bytesAcked: number;
  /** Bytes received in order. */
  readonly bytesReceived: number;
  /** Bytes sent, retransmissions included. */
  readonly bytesSent: number;
  /** Bytes retransmitted. */
  readonly bytesRetrans: number;
  /** Segments sent. */
  readonly segsOut: number;
  /** Segments received. */
  readonly segsIn: number;
  /** Data segments sent. */
  readonly dataSegsOut: number;
  /** Data segments received. */
  readonly dataSegsIn: number;
  /** Bytes written but not yet sent. */
  readonly notsentBytes: number;
  /** Minimum RTT seen (µs). */
  readonly minRtt: number;
  /** Peer's advertised receive window (bytes). */
  readonly sndWnd: number;
  /** Our advertised receive window (bytes). */
  readonly rcvWnd: number;
  /** Send buffer (SO_SNDBUF, bytes). */
  readonly sndbuf: number;
  /** Receive buffer (SO_RCVBUF, bytes). */
  readonly rcvbuf: number;
  /** tcpi_options: the TCPI_OPT bits of what the connection negotiated (timestamps, window scaling, ECN) and ECN_SEEN. */
  readonly options: number;
}

/**
 * What inet_diag reports of a TCP socket besides its addresses, queues and tcp_info (struct
 * inet_diag_msg, net/ipv4/inet_diag.c): the fill function that describes it and its timer.
 */
export interface TcpDiag {
  /**
   * `full` (inet_sk_diag_fill), `timewait` (inet_twsk_diag_fill: TIME_WAIT, or an orphan's
   * FIN_WAIT2 timeout, which Linux hands to a timewait sock) or `request` (inet_req_diag_fill:
   * SYN_RECV). The mini sockets report no queues, uid, inode or tcp_info.
   */
  readonly kind: 'full' | 'timewait' | 'request';
  /**
   * idiag_timer: 0 none; 1 retransmission (SYN, SYN-ACK or RTO: ICSK_TIME_RETRANS, a request
   * sock's rsk_timer); 2 keepalive (sk_timer: never, keepalive is not modelled); 3 TIME_WAIT
   * (tw_timer); 4 zero-window probe (ICSK_TIME_PROBE0).
   */
  readonly timer: 0 | 1 | 2 | 3 | 4;
  /** idiag_expires (ms): jiffies_delta_to_msecs(expiry − jiffies), 0 when past due or no timer. */
  readonly expires: number;
  /** idiag_retrans: icsk_retransmits (timer 1), icsk_probes_out (timer 4), a request sock's num_retrans; else 0. */
  readonly retrans: number;
}

/** /proc/net/snmp `Ip:` counters, and the IpExt ones of /proc/net/netstat (one ipstats MIB in the kernel). */
export interface IpMib {
  /** Datagrams received from devices. */
  InReceives: number;
  /** Dropped for a bad header. */
  InHdrErrors: number;
  /** Dropped for a destination that is not ours (no forwarding). */
  InAddrErrors: number;
  /** Dropped for an unknown protocol. */
  InUnknownProtos: number;
  /** Delivered to TCP, UDP or ICMP. */
  InDelivers: number;
  /** Datagrams handed to IP output. */
  OutRequests: number;
  /** Dropped for lack of a route (device down or no address). */
  OutNoRoutes: number;
  /** Incomplete datagrams that timed out (ipfrag_time). */
  ReasmTimeout: number;
  /** Fragments received for reassembly. */
  ReasmReqds: number;
  /** Datagrams reassembled. */
  ReasmOKs: number;
  /** Reassembly failures: timeouts, overlaps, fragments refused above ipfrag_high_thresh. */
  ReasmFails: number;
  /** Datagrams fragmented. */
  FragOKs: number;
  /** Not sent: larger than the MTU with DF set, or a fragment the device queue did not take. */
  FragFails: number;
  /** Fragments sent. */
  FragCreates: number;
  /** Packets handed to a device, each fragment counted (IPSTATS_MIB_OUTPKTS, ip_finish_output2; v6.3 on). */
  OutTransmits: number;
  /** Bytes of the IP packets received, headers included (IpExt InOctets, ip_rcv_core). */
  InOctets: number;
  /** Bytes of the IP packets handed to a device, headers included (IpExt OutOctets, ip_finish_output2). */
  OutOctets: number;
  /** Packets received with the ECN field Not-ECT (IpExt InNoECTPkts, ip_rcv_core). */
  InNoECTPkts: number;
  /** Packets received with the ECN field ECT(1) (IpExt InECT1Pkts). */
  InECT1Pkts: number;
  /** Packets received with the ECN field ECT(0) (IpExt InECT0Pkts): TCP data of an ECN-capable connection. */
  InECT0Pkts: number;
  /** Packets received with the ECN field CE, marked by an AQM on the way (IpExt InCEPkts). */
  InCEPkts: number;
}

/** /proc/net/snmp `Icmp:` counters. */
export interface IcmpMib {
  /** Messages received. */
  InMsgs: number;
  /** Received with errors. */
  InErrors: number;
  /** Received with a bad checksum. */
  InCsumErrors: number;
  /** Destination unreachable messages received (the local FRAG_NEEDED of a too-big DF segment included). */
  InDestUnreachs: number;
  /** Echo requests received. */
  InEchos: number;
  /** Echo replies received. */
  InEchoReps: number;
  /** Messages sent. */
  OutMsgs: number;
  /** Destination unreachable messages sent. */
  OutDestUnreachs: number;
  /** Echo requests sent. */
  OutEchos: number;
  /** Echo replies sent. */
  OutEchoReps: number;
}

/** /proc/net/snmp `Tcp:` counters. */
export interface TcpMib {
  /** Connections initiated (SYN_SENT). */
  ActiveOpens: number;
  /** Connections accepted (SYN_RECV → ESTABLISHED). */
  PassiveOpens: number;
  /** Failed connection attempts. */
  AttemptFails: number;
  /** Resets of established connections. */
  EstabResets: number;
  /** Segments received. */
  InSegs: number;
  /** Segments sent, retransmissions excluded. */
  OutSegs: number;
  /** Segments retransmitted. */
  RetransSegs: number;
  /** Segments received in error (bad checksum). */
  InErrs: number;
  /** RSTs sent. */
  OutRsts: number;
  /** Segments received with a bad checksum. */
  InCsumErrors: number;
}

/** /proc/net/snmp `Udp:` counters. */
export interface UdpMib {
  /** Datagrams delivered to the application (counted at recv). */
  InDatagrams: number;
  /** Datagrams to a port with no socket. */
  NoPorts: number;
  /** Datagrams dropped on receive (buffer full, bad checksum). */
  InErrors: number;
  /** Datagrams sent. */
  OutDatagrams: number;
  /** Dropped because the socket receive buffer was full. */
  RcvbufErrors: number;
  /** Dropped on send because the qdisc was full (ENOBUFS, reported only with IP_RECVERR). */
  SndbufErrors: number;
  /** Received with a bad checksum. */
  InCsumErrors: number;
}

/** /proc/net/snmp of one host. */
export interface SnmpMib {
  /** IP counters. */
  readonly Ip: IpMib;
  /** ICMP counters. */
  readonly Icmp: IcmpMib;
  /** TCP counters. */
  readonly Tcp: TcpMib;
  /** UDP counters. */
  readonly Udp: UdpMib;
}

/** /proc/net/netstat `TcpExt:` counters (LINUX_MIB_*). */
export interface TcpExtMib {
  /** Delayed ACKs sent by the delack timer. */
  DelayedACKs: number;
  /** Duplicate data received (a delayed ACK was lost). */
  DelayedACKLost: number;
  /** Pure ACKs received that took tcp_ack's slow path. */
  TCPPureAcks: number;
  /** Pure ACKs that advanced snd_una on the header-prediction fast path (tcp_rcv_established: in sequence, ACK only, the window unchanged, no out-of-order data). */
  TCPHPAcks: number;
  /** Fast retransmissions. */
  TCPFastRetrans: number;
  /** Retransmissions in slow start after an RTO. */
  TCPSlowStartRetrans: number;
  /** Retransmission timeouts. */
  TCPTimeouts: number;
  /** Entries into Reno fast recovery. */
  TCPRenoRecovery: number;
  /** Entries into CWR after a local (qdisc) drop or an ECE (the model's; /proc/net/netstat has no such counter). */
  TCPCwr: number;
  /** Segments dropped because the receive buffer was full. */
  TCPRcvQDrop: number;
  /** Segments queued out of order. */
  TCPOFOQueue: number;
  /** Zero windows advertised after a non-zero one. */
  TCPToZeroWindowAdv: number;
  /** Non-zero windows advertised after a zero one. */
  TCPFromZeroWindowAdv: number;
  /** Times the window would have shrunk to zero but was kept. */
  TCPWantZeroWindowAdv: number;
  /** Zero-window probes sent. */
  TCPWinProbe: number;
  /** SYNs or handshake ACKs dropped because the accept queue was full. */
  ListenOverflows: number;
  /** SYNs dropped at a listener, and requests (SYN_RECV) dropped on an ICMP net or host unreachable for their SYN-ACK (tcp_req_err). */
  ListenDrops: number;
  /** Requests (SYN_RECV) reset by a RST before the handshake completed (tcp_check_req's embryonic_reset). */
  EmbryonicRsts: number;
  /** Connections reset by close with unread data. */
  TCPAbortOnClose: number;
  /** Connections aborted by a retransmission, SYN or probe timer that ran out of retries (tcp_write_err). */
  TCPAbortOnTimeout: number;
  /** Retransmissions that failed locally (qdisc drop). */
  TCPRetransFail: number;
  /** SYN/SYN-ACK retransmissions. */
  TCPSynRetrans: number;
  /** Original data segments sent. */
  TCPOrigDataSent: number;
  /** Segments delivered (acked or dup-acked). */
  TCPDelivered: number;
  /** Segments delivered by ACKs that echoed a CE mark (ECE) on an ECN connection (LINUX_MIB_TCPDELIVEREDCE, tcp_newly_delivered). */
  TCPDeliveredCE: number;
  /** Out-of-order segments dropped because the receive buffer was full. */
  TCPOFODrop: number;
  /** In-order segments dropped because the advertised window was zero. */
  TCPZeroWindowDrop: number;
  /** Connections reset because data arrived after the user closed (RFC 1122). */
  TCPAbortOnData: number;
  /** Retransmissions deferred because the previous copy still sat in a qdisc or driver queue. */
  TCPSpuriousRtxHostQueues: number;
  /** Flow hash re-drawn on an RTO (net.core.txrehash). */
  TCPTimeoutRehash: number;
  /** Entries into TCP memory pressure (tcp_mem pressure threshold crossed). */
  TCPMemoryPressures: number;
}

/** Options of `createVethPair`. */
export interface VethOptions {
  /** Device names of the two ends. Default `['veth0', 'veth1']`. */
  readonly names?: readonly [string, string];
  /** One-way wire latency (ns). Default 0. */
  readonly latencyNs?: number;
  /** Wire rate per queue and direction (bits/s); 0 = unlimited. Default 0. */
  readonly rateBps?: number;
  /** TX and RX queues of each end. Default 1. */
  readonly numQueues?: number;
  /** Initial MTU (bytes). Default 1500. */
  readonly mtu?: number;
  /** Largest MTU (bytes). Default 65535. */
  readonly maxMtu?: number;
  /** Frames a TX queue may have on the wire before it stops. Default 256. */
  readonly ringSize?: number;
  /** Qdisc limit of each end (packets). Default 1000. */
  readonly txqueuelen?: number;
  /** Serialise frames to bytes and parse them back. Default false. */
  readonly frames?: boolean;
  /** Wire loss: return true to drop the frame (after it was sent, before the peer sees it). */
  readonly loss?: (skb: Skb, from: VethEnd) => boolean;
}

/** RPS_NO_CPU: an RFS entry or flow that names no CPU. */
export const RPS_NO_CPU = 0xffff;

/** One entry of an RX queue's RFS flow table (struct rps_dev_flow): the CPU its flow is steered to and its last packet's place in that CPU's backlog. */
export interface RpsDevFlow {
  /** The CPU, RPS_NO_CPU for none. */
  cpu: number;
  /** input_queue_tail after its last packet was queued there. */
  lastQtail: number;
}

/** An RX queue's RFS flow table (struct rps_dev_flow_table): `mask` + 1 entries by hash bucket, those flows have used so far in `entries`. */
export interface RfsFlowTable {
  /** Entries − 1. */
  readonly mask: number;
  /** The entries made so far, by bucket. */
  readonly entries: Map<number, RpsDevFlow>;
}

/** How an RX queue's packets are steered (netdev_rx_queue): its RPS map and its RFS flow table. */
export interface RxQueueSteering {
  /** rps_map->cpus: the map's CPUs in order (empty: no map). */
  readonly map: readonly number[];
  /** The RFS flow table, or null. */
  readonly flows: RfsFlowTable | null;
}
