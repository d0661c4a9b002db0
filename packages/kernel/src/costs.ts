/**
 * The cost model: what each modelled operation costs a CPU, in ns, from the platform profile.
 * The CPU-bound costs (per packet, per checksummed and user-copied byte, memcpy call overhead,
 * interrupt and softirq entry, wakeups, exec, DMA setup) scale by `cpu.costClockMhz /
 * cpu.clockMhz`; the memory-, bus- and link-bound ones do not. Each host scales its costs by a run factor drawn once from N(1, runScaleSd) (run-to-run
 * spread), and the per-byte copy costs are jittered per call by N(1, chargeJitterSd) (drawn
 * with `Rng.normalFast`).
 */
import type { PlatformProfile } from './profile/schema.js';
import type { Rng } from './rng.js';
import { transferNs, type Ns } from './time.js';

const MB = 1e6;

/** Per-operation CPU costs for one host (ns). */
export class CostModel {
  /** The multiplicative run factor applied to every cost. */
  readonly runScale: number;
  private readonly jitterSd: number;
  private readonly callNs: number;
  private readonly bytesNs: { readonly cached: number; readonly toWc: number; readonly uncached: number; readonly csum: number; readonly user: number };
  private readonly fixedNs: {
    readonly mmioRead: number;
    readonly mmioWrite: number;
    readonly irq: number;
    readonly softirq: number;
    readonly wakeup: number;
    readonly exec: number;
    readonly dmaSetup: number;
    readonly txPacket: number;
    readonly rxPacket: number;
    readonly ack: number;
    readonly skbAlloc: number;
  };

  /** Costs for `profile`, drawing the run factor and jitter from `rng`. */
  constructor(
    /** The platform profile the costs are computed from. */
    readonly profile: PlatformProfile,
    private readonly rng: Rng,
  ) {
    const sd = profile.noise.runScaleSd.value;
    this.runScale = sd > 0 ? Math.max(0.5, 1 + sd * rng.gaussian()) : 1;
    this.jitterSd = profile.noise.chargeJitterSd.value;
    // CPU-bound costs scale with the clock they were measured at over the one the CPUs run at;
    // memory-, bus- and link-bound ones (window copies, cached memcpy, MMIO) do not.
    const clock = profile.cpu.costClockMhz.value / profile.cpu.clockMhz.value;
    this.callNs = profile.memory.memcpyCallNs.value * this.runScale * clock;
    const perByte = (mbps: number, scale = 1): number => transferNs(1, mbps * MB) * this.runScale * scale;
    this.bytesNs = {
      cached: perByte(profile.memory.memcpyCachedMBps.value),
      toWc: perByte(profile.memory.memcpyToWcMBps.value),
      uncached: perByte(profile.memory.readUncachedMBps.value),
      csum: perByte(profile.net.csumMBps.value, clock),
      user: perByte(profile.net.userCopyMBps.value, clock),
    };
    const fixed = (q: { readonly value: number }, scale = 1): number => q.value * this.runScale * scale;
    this.fixedNs = {
      mmioRead: fixed(profile.memory.mmioReadNs),
      mmioWrite: fixed(profile.memory.mmioWriteNs),
      irq: fixed(profile.kernel.irqEntryExitNs, clock),
      softirq: fixed(profile.kernel.softirqEntryNs, clock),
      wakeup: fixed(profile.kernel.wakeupNs, clock),
      exec: fixed(profile.kernel.execNs, clock),
      dmaSetup: fixed(profile.dma.setupNs, clock),
      txPacket: fixed(profile.net.txPerPacketNs, clock),
      rxPacket: fixed(profile.net.rxPerPacketNs, clock),
      ack: fixed(profile.net.ackNs, clock),
      skbAlloc: fixed(profile.net.skbAllocNs, clock),
    };
  }

  /** `bytes` at `nsPerByte` (run factor included), jittered per call. */
  private bytes(bytes: number, nsPerByte: number): Ns {
    const ns = bytes * nsPerByte;
    return this.jitterSd > 0 && bytes > 0 ? ns * Math.max(0.5, 1 + this.jitterSd * this.rng.normalFast()) : ns;
  }

  /** memcpy between cached buffers (kernel `memcpy`). */
  memcpy(bytes: number): Ns {
    return this.callNs + this.bytes(bytes, this.bytesNs.cached);
  }

  /** CPU copy into a write-combined PCIe window (`memcpy_toio`). */
  memcpyToio(bytes: number): Ns {
    return this.callNs + this.bytes(bytes, this.bytesNs.toWc);
  }

  /** CPU copy out of the local coherent RX buffer (uncached on non-coherent platforms). */
  memcpyFromCoherent(bytes: number): Ns {
    return this.callNs + this.bytes(bytes, this.bytesNs.uncached);
  }

  /** One non-posted MMIO read round trip (`ioread32` of a remote BAR). */
  mmioRead(): Ns {
    return this.fixedNs.mmioRead;
  }

  /** Issuing one posted MMIO write (`iowrite32`). */
  mmioWrite(): Ns {
    return this.fixedNs.mmioWrite;
  }

  /** Hardirq entry + exit. */
  irqEntryExit(): Ns {
    return this.fixedNs.irq;
  }

  /** Softirq / tasklet dispatch. */
  softirqEntry(): Ns {
    return this.fixedNs.softirq;
  }

  /** Waking a sleeping task and switching to it. */
  wakeup(): Ns {
    return this.fixedNs.wakeup;
  }

  /** Starting a userland program: fork + execve + dynamic linking until its main() (ns). */
  exec(): Ns {
    return this.fixedNs.exec;
  }

  /** DMA descriptor preparation and submission (CPU side). */
  dmaSetup(): Ns {
    return this.fixedNs.dmaSetup;
  }

  /** Duration of a DMA transfer on one channel (engine time, not CPU). */
  dmaTransfer(bytes: number): Ns {
    return transferNs(bytes, this.profile.dma.rateMBps.value * MB) * this.runScale;
  }

  /** Sender network stack per packet (no byte copies). */
  txPacket(): Ns {
    return this.fixedNs.txPacket;
  }

  /** Receiver network stack per packet (no byte copies). */
  rxPacket(): Ns {
    return this.fixedNs.rxPacket;
  }

  /** One TCP ACK built, sent or processed. */
  ack(): Ns {
    return this.fixedNs.ack;
  }

  /** Software Internet checksum over `bytes`. */
  csum(bytes: number): Ns {
    return this.bytes(bytes, this.bytesNs.csum);
  }

  /** copy_to_user / copy_from_user of `bytes`. */
  userCopy(bytes: number): Ns {
    return this.bytes(bytes, this.bytesNs.user);
  }

  /** skb allocation + free. */
  skbAlloc(): Ns {
    return this.fixedNs.skbAlloc;
  }
}
