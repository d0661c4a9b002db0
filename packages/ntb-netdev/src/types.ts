/**
 * Contracts of the ntb_netdev model: driver options and the per-queue counters it keeps.
 */
import type { HrtimerMode } from '@ntbsim/kernel';
import type { TransportClientDriver } from '@ntbsim/ntb-transport';
import type { NtbNetdev } from './netdev.js';

/** Which ntb_netdev: the multi-queue driver (net-next, March 2026) or the single-queue v7.0 `baseline`. */
export type NtbNetdevVariant = 'mq' | 'baseline';

/** How a stopped queue is woken when the ring stays short: the driver's jiffies timer, or the 250 µs hrtimer variant. */
export type WakeTimerKind = 'jiffy' | 'hrtimer';

/** Payload fidelity of the frames the driver moves: real bytes, or headers only (DESIGN.md §6). */
export type PayloadMode = 'functional' | 'timing';

/** Options of the ntb_netdev driver. */
export interface NtbNetdevOptions {
  /** Interface name. Default `ntb0`. */
  readonly name?: string;
  /** Driver variant. Default `mq`. */
  readonly variant?: NtbNetdevVariant;
  /** Queue pairs at probe, 1..64: as many as the transport has free, up to this (NTB_NETDEV_DEFAULT_QUEUES = 1; the multi-queue v1 series' `ntb_num_queues`; the baseline driver takes one). Default 1. */
  readonly queues?: number;
  /** Wake-up mechanism. Default `jiffy` (mod_timer(jiffies + usecs_to_jiffies(1))). */
  readonly wakeTimer?: WakeTimerKind;
  /** The hrtimer variant's period (ns). Default 250 µs (TrueNAS PR #311). */
  readonly hrtimerNs?: number;
  /** How the hrtimer variant is armed: `soft` (HRTIMER_MODE_REL_SOFT: its callback runs in the HRTIMER softirq, after TASKLET in a pass) or `hard` (HRTIMER_MODE_REL: in hardirq context). Default `soft`. */
  readonly hrtimerMode?: HrtimerMode;
  /** Payload fidelity. Default `timing`. */
  readonly payload?: PayloadMode;
  /** Receive buffers posted per queue (NTB_RXQ_SIZE). Default 100. */
  readonly rxqSize?: number;
  /** The transport client device probed (`ntb_netdev<i>` on the `ntb_transport` bus): the netdev's parent (SET_NETDEV_DEV). Default `ntb_netdev0`; the module's probe passes its own. */
  readonly clientDev?: string;
}

/** Per-queue driver counters (ethtool -S `rx_queue_N_*` / `tx_queue_N_*`). */
export interface NtbQueueStats {
  /** Frames netif_rx took (counted as rx_packets). */
  rxPackets: number;
  /** Bytes of the frames netif_rx took. */
  rxBytes: number;
  /** rx_errors counted on this queue: len < 0 or a frame that does not parse (rx_length_errors), a failed re-post of a receive buffer (rx_fifo_errors), a netif_rx drop (rx_dropped). */
  rxErrors: number;
  /** Frames whose TX completed. */
  txPackets: number;
  /** Bytes whose TX completed. */
  txBytes: number;
  /** xmit calls that returned NETDEV_TX_BUSY. */
  txBusy: number;
  /** Times the subqueue was stopped for lack of TX slots. */
  txStops: number;
  /** Wake timer runs that woke the stopped subqueue (ntb_netdev_tx_timer's netif_wake_subqueue); at most txStops. */
  txTimerWakes: number;
  /** Wake timer runs (ntb_netdev_tx_timer), re-arms while the ring stays short included. */
  txTimerExpiries: number;
}

/** A loaded ntb_netdev module: its driver and the devices it probed. */
export interface NtbNetdevModule {
  /** The transport client driver (struct ntb_transport_client). */
  readonly driver: TransportClientDriver;
  /** Probed devices by client device name (`ntb_netdev0`, …). */
  readonly devices: Map<string, NtbNetdev>;
  /** Unload: unregister the driver and the client devices (ntb_netdev_exit_module); nothing when the load failed. */
  unload(): void;
}
