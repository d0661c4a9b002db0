/**
 * Time stamping information, Linux 6.18: `__ethtool_get_ts_info` (net/ethtool/common.c) under
 * ETHTOOL_MSG_TSINFO_GET (tsinfo.c) and ETHTOOL_GET_TS_INFO (ioctl.c). Without a hardware time
 * stamp provider the core initialises the answer (no PTP clock), lets the driver's get_ts_info
 * fill it, and adds SOF_TIMESTAMPING_RX_SOFTWARE and SOF_TIMESTAMPING_SOFTWARE, which every
 * device has since 6.11 (`net_timestamp_check` runs in the core). A driver without get_ts_info,
 * like ntb_netdev, therefore reports those two and nothing else.
 */
import { opsOf, withOps } from './core.js';
import type { EthnlResult, EthtoolDevice, EthtoolIoctlResult, EthtoolTsInfo, SofTimestampingName } from './types.js';

/** sof_timestamping_names: the ETH_SS_SOF_TIMESTAMPING strings, in bit order. */
export const SOF_TIMESTAMPING_NAMES: readonly SofTimestampingName[] = [
  'hardware-transmit',
  'software-transmit',
  'hardware-receive',
  'software-receive',
  'software-system-clock',
  'hardware-legacy-clock',
  'hardware-raw-clock',
  'option-id',
  'sched-transmit',
  'ack-transmit',
  'option-cmsg',
  'option-tsonly',
  'option-stats',
  'option-pktinfo',
  'option-tx-swhw',
  'bind-phc',
  'option-id-tcp',
  'option-rx-filter',
];

/** What the core adds to every device's answer. */
const CORE_SOF: readonly SofTimestampingName[] = ['software-receive', 'software-system-clock'];

/**
 * __ethtool_get_ts_info: phc_index -1, the driver's get_ts_info if any, then the core's software
 * receive time stamps; the capabilities in bit order.
 */
export function ethtoolGetTsInfo(dev: EthtoolDevice): EthtoolTsInfo {
  const drv = opsOf(dev).getTsInfo?.();
  const sof = new Set<SofTimestampingName>([...(drv?.soTimestamping ?? []), ...CORE_SOF]);
  return { soTimestamping: SOF_TIMESTAMPING_NAMES.filter((n) => sof.has(n)), phcIndex: drv?.phcIndex ?? -1 };
}

/** ETHTOOL_MSG_TSINFO_GET (tsinfo_prepare_data + tsinfo_fill_reply): between begin and complete. */
export function ethnlGetTsinfo(dev: EthtoolDevice): EthnlResult<EthtoolTsInfo> {
  return withOps(dev, () => ({ ok: true as const, reply: ethtoolGetTsInfo(dev) }));
}

/** ETHTOOL_GET_TS_INFO (ethtool_get_ts_info), inside `devEthtool`. */
export function ethtoolGetTsInfoIoctl(dev: EthtoolDevice): EthtoolIoctlResult<EthtoolTsInfo> {
  return { ok: true, value: ethtoolGetTsInfo(dev) };
}
