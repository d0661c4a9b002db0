/**
 * ETHTOOL_MSG_RINGS_SET as Linux 6.18 checks it (net/ethtool/rings.c, and the attribute policy
 * genetlink applies before the handler): the ethtool_ops contract has no get/set_ringparam and no
 * supported_ring_params, so a request ends at the first check that refuses it. RINGS_GET and the
 * GRINGPARAM ioctl find no get_ringparam (`opNotSupported`).
 */
import { ERRNO } from '@ntbsim/kernel';
import { opNotSupported } from './core.js';
import type { EthnlAttrValue, EthnlResult, EthtoolRingsAttr } from './types.js';

/** ethnl_rings_set_policy's ranges: RX_BUF_LEN and CQE_SIZE at least 1, TX_PUSH at most 1. */
const RINGS_SET_POLICY: { readonly [K in EthtoolRingsAttr]?: { readonly min?: number; readonly max?: number } } = {
  'rx-buf-len': { min: 1 },
  'cqe-size': { min: 1 },
  'tx-push': { max: 1 },
};

/**
 * The policy check of a RINGS_SET request, before the device is looked up: the first attribute
 * (in request order) out of its range fails with "integer out of range" and -ERANGE.
 */
export function ethnlRingsSetPolicy(attrs: readonly EthnlAttrValue<EthtoolRingsAttr>[]): EthnlResult<never> | undefined {
  for (const [attr, value] of attrs) {
    const p = RINGS_SET_POLICY[attr];
    if (p === undefined || (value >= (p.min ?? 0) && value <= (p.max ?? Number.MAX_SAFE_INTEGER))) continue;
    return { ok: false, ret: -ERRNO.ERANGE, extack: { message: 'integer out of range', badAttr: attr } };
  }
  return undefined;
}

/** ethnl_set_rings_validate's refusals of a parameter the driver does not list in supported_ring_params. */
const UNSUPPORTED_RING_PARAMS: readonly (readonly [EthtoolRingsAttr, string])[] = [
  ['rx-buf-len', 'setting rx buf len not supported'],
  ['cqe-size', 'setting cqe size not supported'],
  ['tx-push', 'setting tx push not supported'],
];

/**
 * ethnl_set_rings_validate, after the device was looked up: RX_BUF_LEN, CQE_SIZE, TX_PUSH (in that
 * order, whatever the request's) each refused with its extack, none being in the
 * supported_ring_params of any driver (the contract has none); then -EOPNOTSUPP for the missing
 * get/set_ringparam. Nothing is changed.
 */
export function ethnlSetRings(attrs: readonly EthnlAttrValue<EthtoolRingsAttr>[]): EthnlResult<never> {
  for (const [attr, message] of UNSUPPORTED_RING_PARAMS) {
    if (attrs.some(([a]) => a === attr)) return { ok: false, ret: -ERRNO.EOPNOTSUPP, extack: { message, badAttr: attr } };
  }
  return opNotSupported();
}
