/**
 * The request plumbing around every ethtool operation: device lookup, the CAP_NET_ADMIN check,
 * the driver's begin/complete bracket (ethnl_ops_begin / ethnl_ops_complete in
 * net/ethtool/netlink.c; the same calls in __dev_ethtool, net/ethtool/ioctl.c) and the header
 * parse of netlink requests (ethnl_parse_header_dev_get).
 */
import { ERRNO } from '@ntbsim/kernel';
import { EthtoolError } from './errors.js';
import type { EthnlResult, EthtoolCoreContext, EthtoolDevice, EthtoolDeviceLookup, EthtoolIoctlResult, EthtoolOps } from './types.js';

/** __dev_get_by_name: the device called `name`, or undefined. */
export function lookupDevice(devices: EthtoolDeviceLookup, name: string): EthtoolDevice | undefined {
  return typeof devices === 'function' ? devices(name) : devices.get(name);
}

const boundOps = new WeakMap<EthtoolOps, EthtoolOps>();

/**
 * `dev`'s ethtool_ops as the core calls them: each op bound to the object that holds it, so a
 * class whose methods are the ops (an `NtbNetdev`, say) keeps its `this` when the core takes an
 * op out of the table to call it, as the kernel calls a function pointer.
 */
export function opsOf(dev: EthtoolDevice): EthtoolOps {
  const ops = dev.ethtoolOps;
  let bound = boundOps.get(ops);
  if (bound === undefined) {
    bound = new Proxy(ops, {
      get(target, key) {
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
    boundOps.set(ops, bound);
  }
  return bound;
}

/** ethnl_ops_begin: 0, or the driver's begin() error (nothing else to do for a present device). */
export function ethnlOpsBegin(dev: EthtoolDevice): number {
  const begin = opsOf(dev).begin;
  if (begin === undefined) return 0;
  const ret = begin();
  return ret < 0 ? ret : 0;
}

/** ethnl_ops_complete: the driver's complete(), if any. */
export function ethnlOpsComplete(dev: EthtoolDevice): void {
  opsOf(dev).complete?.();
}

/** Run `fn` between begin and complete; a failing begin returns its errno without calling `fn`. */
export function withOps<T extends { readonly ok: boolean }>(
  dev: EthtoolDevice,
  fn: () => T,
): T | { readonly ok: false; readonly ret: number } {
  const ret = ethnlOpsBegin(dev);
  if (ret < 0) return { ok: false, ret };
  try {
    return fn();
  } finally {
    ethnlOpsComplete(dev);
  }
}

/** GENL_UNS_ADMIN_PERM / the SIOCETHTOOL privilege check: 0, or -EPERM without CAP_NET_ADMIN. */
export function ethtoolAdminCheck(ctx: EthtoolCoreContext = {}): number {
  return ctx.capNetAdmin === false ? -ERRNO.EPERM : 0;
}

/** ethnl_parse_header_dev_get: the device named in ETHTOOL_A_HEADER_DEV_NAME, or -ENODEV with its extack. */
export function ethnlParseHeaderDev(devices: EthtoolDeviceLookup, name: string): EthnlResult<EthtoolDevice> {
  const dev = lookupDevice(devices, name);
  if (dev === undefined) {
    return { ok: false, ret: -ERRNO.ENODEV, extack: { message: 'no device matches name', badAttr: 'dev-name' } };
  }
  return { ok: true, reply: dev };
}

/** Options of a SIOCETHTOOL command: whether it needs CAP_NET_ADMIN (every SET does). */
export interface DevEthtoolOptions {
  /** The command is not in __dev_ethtool's "allowed to anyone" list. */
  readonly adminPerm: boolean;
  /** Namespace context (privileges, notifier, release). */
  readonly ctx?: EthtoolCoreContext;
}

/**
 * __dev_ethtool: look the device up (-ENODEV), check privileges (-EPERM), bracket `fn` with
 * begin/complete, as the SIOCETHTOOL ioctl does for each command.
 */
export function devEthtool<T>(
  devices: EthtoolDeviceLookup,
  ifname: string,
  opts: DevEthtoolOptions,
  fn: (dev: EthtoolDevice) => EthtoolIoctlResult<T>,
): EthtoolIoctlResult<T> {
  const dev = lookupDevice(devices, ifname);
  if (dev === undefined) return { ok: false, ret: -ERRNO.ENODEV };
  if (opts.adminPerm) {
    const perm = ethtoolAdminCheck(opts.ctx);
    if (perm < 0) return { ok: false, ret: perm };
  }
  return withOps(dev, () => fn(dev));
}

/**
 * Check that `v` is a u32 (what a NLA_U32 attribute or a __u32 field can carry); throws
 * EthtoolError with `code` (EINVAL for a caller's argument, EIO for a value a driver returned).
 */
export function assertU32(v: number, what: string, code: 'EINVAL' | 'EIO' = 'EINVAL'): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new EthtoolError(code, `${what} must be a u32, got ${String(v)}`);
  }
}

/**
 * The answer to a request whose driver op the contract does not have (get_ringparam,
 * get_coalesce, get_pauseparam, get_regs, get_eeprom, get_rxnfc, get_wol, get_msglevel, …):
 * -EOPNOTSUPP, as the kernel answers for a NULL op, on the netlink and the ioctl path alike.
 */
export function opNotSupported(): { readonly ok: false; readonly ret: number } {
  return { ok: false, ret: -ERRNO.EOPNOTSUPP };
}
