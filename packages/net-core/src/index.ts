export { getRpsCpu, getXpsQueue, netdevCorePickTx, netdevPickTx, devQueueXmit, netifRx, qdiscRun, skbGetHash, skbTxHash, cpuOf } from './dev.js';
export { NET_ERRNO_EXTRA, NetError, netErrnoName, netErrnoValue, netStrerror, type NetErrno } from './errors.js';
export { arpSkb, skbChecksumOk, skbFromFrame, skbL4Checksum, skbToFrame, type FrameError, type FrameResult } from './frame.js';
export {
  ARP_PLEN,
  ARPOP,
  csumFold,
  csumPartial,
  ETH_ALEN,
  ETH_HLEN,
  ETH_P_ARP,
  ETH_P_IP,
  formatIpv4,
  ICMP_HLEN,
  INET_ECN,
  IP_DEFAULT_TTL,
  IP_MAX_MTU,
  IPPROTO,
  IPV4_HLEN,
  IPV4_MIN_MTU,
  parseIpv4,
  parseIpv4Prefix,
  prefixMask,
  pseudoHeaderSum,
  rtTos2Priority,
  TC_PRIO,
  TC_PRIO_MAX,
  TCP_HLEN,
  TCPOLEN_TSTAMP_ALIGNED,
  UDP_HLEN,
  type Ipv4Addr,
  type Ipv4Prefix,
} from './inet.js';
export { checkPort, InetSock, payloadOf, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, type Payload, type PmtuDisc } from './inetSock.js';
export {
  NETDEV_FEATURE_COUNT,
  netdevFeatures,
  netdevFixFeatures,
  NETIF_F,
  NETIF_F_ALL_TSO,
  NETIF_F_BIT,
  NETIF_F_CSUM_MASK,
  NETIF_F_ETHTOOL_BITS,
  NETIF_F_GSO_SOFTWARE,
  NETIF_F_NEVER_CHANGE,
  NETIF_F_SOFT_FEATURES,
  NETIF_F_SOFT_FEATURES_OFF,
  registerNetdevFeatures,
  type NetdevFeature,
  type RegisteredFeatures,
} from './features.js';
export { ipDatagramTruesize, ipFragment, ipFragmentSizes } from './ipFrag.js';
export {
  createNetDevice,
  DEFAULT_TX_QUEUE_LEN,
  ETH_DATA_LEN,
  ETH_MAX_MTU,
  ETH_MIN_MTU,
  ethRandomAddr,
  ethTypeTrans,
  GSO_LEGACY_MAX_SIZE,
  GSO_MAX_SEGS,
  GSO_MAX_SIZE,
  NetDevice,
  NetdevQueue,
  type MqChild,
  type NetDeviceOptions,
  type NetDeviceParent,
  type QdiscParent,
  type RootQdiscKind,
} from './netDevice.js';
export { ARP_PARMS, formatMac, NeighTable, type NeighDropReason, type NeighEntry, type NeighParms, type NeighStats, type NudState } from './neighbour.js';
export {
  createNetStack,
  DEFAULT_SYSCTLS,
  NetStack,
  netStackOf,
  SYSCTL_NAMES,
  type IpXmit,
  type NetStackOptions,
  type PacketDirection,
  type PacketHandler,
  type PacketHandlerOptions,
  type SocketTables,
  type SoftnetStat,
} from './netStack.js';
export { ICMP_MAX_PAYLOAD, ICMP_TYPE, icmpRcv, PingSocket, type EchoRequest } from './ping.js';
export { FqCodel, fqCodelDefaults, validateFqCodelParams, type FqCodelFlowStats, type FqCodelParams, type FqCodelXstats } from './sched/fqCodel.js';
export { PFIFO_FAST_BANDS, PFIFO_FAST_PRIOMAP, PfifoFast, Qdisc, QDISC_KINDS, type QdiscEnqueue, type QdiscKind, type QdiscStats } from './sched/qdisc.js';
export {
  allocSkbTruesize,
  flowHash,
  ipIsFragment,
  l4HeaderLen,
  reciprocalScale,
  Skb,
  TCP_FLAG,
  tcpHeaderLen,
  type ArpHeader,
  type IcmpHeader,
  type IpFragHeader,
  type Ipv4Header,
  type L4Header,
  type SkbDestructor,
  type SkbOptions,
  type SkbOwner,
  type TcpHeader,
  type UdpHeader,
} from './skb.js';
export { Cubic, type CubicSock } from './tcp/cubic.js';
export { Reno, TCP_AVAILABLE_CONGESTION_CONTROL, tcpCongAvoidAi, tcpCongestionOps, tcpSlowStart, type CongestionSock, type TcpCongestionOps } from './tcp/tcpCong.js';
export {
  MAX_TCP_HEADER,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  TCP_MSS_DEFAULT,
  TCP_SKB_OVERHEAD,
  TCP_TIMEWAIT_LEN_NS,
  TCPI_OPT,
  tcpTimeouts,
  type TcpTimeouts,
} from './tcp/tcpConst.js';
export { tcpConnKey, tcpV4Rcv } from './tcp/tcpIpv4.js';
export { NR_FREE_BUFFER_PAGES_RATIO, PAGE_SIZE, tcpMemFromRam } from './tcp/tcpMem.js';
export { RttEstimator } from './tcp/tcpRtt.js';
export { TcpSocket, type ShutdownHow, type TcpCaState, type TcpSockStats, type TcpState } from './tcp/tcpSocket.js';
export type {
  AcceptResult,
  DatagramResult,
  EchoReplyResult,
  IcmpErrorResult,
  IcmpMib,
  IpMib,
  LinkChangeFn,
  NetDeviceOps,
  NetDevStats,
  NetFailure,
  NetRx,
  NetSysctls,
  NetXmit,
  NetdevTx,
  OpResult,
  PollEvents,
  RecvResult,
  SendResult,
  SnmpMib,
  SockAddr,
  TcpDiag,
  TcpExtMib,
  TcpInfo,
  TcpMib,
  UdpMib,
  VethOptions,
} from './types.js';
export { UDP_MAX_PAYLOAD, udpRcv, UdpSocket, type UdpSockStats } from './udp.js';
export { LOOPBACK_MTU } from './loopback.js';
export { createVethPair, VethEnd, type VethPair, type VethStats } from './veth.js';
export { WaitQueue } from './waitQueue.js';
