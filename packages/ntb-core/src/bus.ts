/**
 * The NTB bus of one host (drivers/ntb/core.c): hardware drivers register devices, client
 * drivers register themselves, and the bus probes every client on every device until one
 * binds (probe returns 0). A device has at most one bound client.
 */
import { ERRNO, type Host } from '@ntbsim/kernel';
import { NtbError } from './errors.js';
import type { NtbDev } from './device.js';
import type { NtbClient } from './types.js';

/** The NTB bus of a host. */
export class NtbBus {
  private readonly devices: NtbDev[] = [];
  private readonly clients: NtbClient[] = [];
  private readonly bound = new Map<NtbDev, NtbClient>();

  /** Registered devices, in registration order. */
  get deviceList(): readonly NtbDev[] {
    return this.devices;
  }

  /** The client bound to `dev`, if any. */
  clientOf(dev: NtbDev): NtbClient | undefined {
    return this.bound.get(dev);
  }

  /**
   * Register a device and offer it to the registered clients (ntb_register_device): its ops
   * were checked when it was created; a device taken in starts with no context (ctx and
   * ctx_ops NULL), whatever was set on it before.
   */
  registerDevice(dev: NtbDev): void {
    if (this.devices.includes(dev)) throw new NtbError('EEXIST', `device ${dev.name} is already registered`);
    if (this.devices.some((d) => d.name === dev.name)) throw new NtbError('EEXIST', `a device named ${dev.name} is already registered`);
    dev.clearCtx();
    this.devices.push(dev);
    for (const c of this.clients) if (this.tryBind(dev, c)) break;
  }

  /** Unbind its client and remove a device (ntb_unregister_device). */
  unregisterDevice(dev: NtbDev): void {
    const i = this.devices.indexOf(dev);
    if (i < 0) throw new NtbError('ENODEV', `device ${dev.name} is not registered`);
    this.unbind(dev);
    this.devices.splice(i, 1);
  }

  /**
   * Register a client and probe it on every unbound device (ntb_register_client). A client
   * without both `probe` and `remove` is refused with EINVAL, as __ntb_register_client refuses
   * one failing ntb_client_ops_is_valid.
   */
  registerClient(client: NtbClient): void {
    const c = client as Partial<NtbClient> | null | undefined;
    if (typeof c?.probe !== 'function' || typeof c.remove !== 'function') {
      const missing = (['probe', 'remove'] as const).filter((k) => typeof c?.[k] !== 'function');
      throw new NtbError('EINVAL', `client ${String(c?.name)}: ops refused (ntb_client_ops_is_valid): missing ${missing.join(', ')}`);
    }
    if (this.clients.includes(client)) throw new NtbError('EEXIST', `client ${client.name} is already registered`);
    this.clients.push(client);
    for (const d of this.devices) if (!this.bound.has(d)) this.tryBind(d, client);
  }

  /** Unbind a client from its devices and remove it (ntb_unregister_client). */
  unregisterClient(client: NtbClient): void {
    const i = this.clients.indexOf(client);
    if (i < 0) throw new NtbError('ENODEV', `client ${client.name} is not registered`);
    for (const [d, c] of [...this.bound]) if (c === client) this.unbind(d);
    this.clients.splice(i, 1);
  }

  private tryBind(dev: NtbDev, client: NtbClient): boolean {
    const rc = client.probe(dev);
    if (rc !== 0) {
      logProbeFailure(dev.host, dev.name, client.name, rc);
      return false;
    }
    this.bound.set(dev, client);
    return true;
  }

  private unbind(dev: NtbDev): void {
    const c = this.bound.get(dev);
    if (c === undefined) return;
    this.bound.delete(dev);
    c.remove(dev);
    dev.clearCtx();
  }
}

/** Create the NTB bus of a host. */
export function createNtbBus(): NtbBus {
  return new NtbBus();
}

/**
 * The driver core's line for a probe of device `dev` by `driver` that failed with `rc`
 * (call_driver_probe): dev_err "DRIVER DEV: probe with driver DRIVER failed with error RC",
 * dev->driver being set during the probe; -ENODEV and -ENXIO only reject the match (dev_dbg).
 */
export function logProbeFailure(host: Host, dev: string, driver: string, rc: number): void {
  if (rc === -ERRNO.ENODEV || rc === -ERRNO.ENXIO) return;
  host.printk(`${driver} ${dev}: probe with driver ${driver} failed with error ${rc}`);
}
