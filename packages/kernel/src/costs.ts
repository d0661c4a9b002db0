/**
 * The cost model: what each modelled operation costs a CPU, in ns, from the platform profile.
 * Each host scales its costs by a run factor drawn once from N(1, runScaleSd) (run-to-run
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

  /** Costs for `profile`, drawing the run factor and jitter from `rng`. */
  constructor(
    /** The platform profile the costs are computed from. */
    readonly profile: PlatformProfile,
    private readonly rng: Rng,
  ) {
    const sd = profile.noise.runScaleSd.value;
    this.runScale = sd > 0 ? Math.max(0.5, 1 + sd * rng.gaussian()) : 1;
    this.jitterSd = profile.noise.chargeJitterSd.value;
  }

  private bytes(bytes: number, mbps: number): Ns {
    let ns = transferNs(bytes, mbps * MB) * this.runScale;
    if (this.jitterSd > 0 && bytes > 0) ns *= Math.max(0.5, 1 + this.jitterSd * this.rng.normalFast());
    return ns;
  }

  private fixed(ns: number): Ns {
    return ns * this.runScale;
  }

  /** memcpy between cached buffers (kernel `memcpy`). */
  memcpy(bytes: number): Ns {
    return this.fixed(this.profile.memory.memcpyCallNs.value) + this.bytes(bytes, this.profile.memory.memcpyCachedMBps.value);
  }

  /** CPU copy into a write-combined PCIe window (`memcpy_toio`). */
  memcpyToio(bytes: number): Ns {
    return this.fixed(this.profile.memory.memcpyCallNs.value) + this.bytes(bytes, this.profile.memory.memcpyToWcMBps.value);
  }

  /** CPU copy out of the local coherent RX buffer (uncached on non-coherent platforms). */
  memcpyFromCoherent(bytes: number): Ns {
    return this.fixed(this.profile.memory.memcpyCallNs.value) + this.bytes(bytes, this.profile.memory.readUncachedMBps.value);
  }

  /** One non-posted MMIO read round trip (`ioread32` of a remote BAR). */
  mmioRead(): Ns {
    return this.fixed(this.profile.memory.mmioReadNs.value);
  }

  /** Issuing one posted MMIO write (`iowrite32`). */
  mmioWrite(): Ns {
    return this.fixed(this.profile.memory.mmioWriteNs.value);
  }

  /** Hardirq entry + exit. */
  irqEntryExit(): Ns {
    return this.fixed(this.profile.kernel.irqEntryExitNs.value);
  }

  /** Softirq / tasklet dispatch. */
  softirqEntry(): Ns {
    return this.fixed(this.profile.kernel.softirqEntryNs.value);
  }

  /** Waking a sleeping task and switching to it. */
  wakeup(): Ns {
    return this.fixed(this.profile.kernel.wakeupNs.value);
  }

  /** DMA descriptor preparation and submission (CPU side). */
  dmaSetup(): Ns {
    return this.fixed(this.profile.dma.setupNs.value);
  }

  /** Duration of a DMA transfer on one channel (engine time, not CPU). */
  dmaTransfer(bytes: number): Ns {
    return transferNs(bytes, this.profile.dma.rateMBps.value * MB) * this.runScale;
  }

  /** Sender network stack per packet (no byte copies). */
  txPacket(): Ns {
    return this.fixed(this.profile.net.txPerPacketNs.value);
  }

  /** Receiver network stack per packet (no byte copies). */
  rxPacket(): Ns {
    return this.fixed(this.profile.net.rxPerPacketNs.value);
  }

  /** One TCP ACK built, sent or processed. */
  ack(): Ns {
    return this.fixed(this.profile.net.ackNs.value);
  }

  /** Software Internet checksum over `bytes`. */
  csum(bytes: number): Ns {
    return this.bytes(bytes, this.profile.net.csumMBps.value);
  }

  /** copy_to_user / copy_from_user of `bytes`. */
  userCopy(bytes: number): Ns {
    return this.bytes(bytes, this.profile.net.userCopyMBps.value);
  }

  /** skb allocation + free. */
  skbAlloc(): Ns {
    return this.fixed(this.profile.net.skbAllocNs.value);
  }
}
