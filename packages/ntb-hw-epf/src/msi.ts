/**
 * The EP function's MSI capability as the RC programs it (pci_alloc_irq_vectors writes the
 * message address and enables the vectors), and the RC's DWC MSI receiver: a 4-byte target in
 * RC memory whose landing writes set the status bit named by the message data.
 *
 * The DWC's internal MSI controller (pcie-designware-host.c; R-Car S4 has no GIC ITS) raises
 * one GIC SPI, the controller's `msi` interrupt, for all its vectors: its chained handler
 * (dw_chained_msi_isr → dw_handle_msi_irq) reads PCIE_MSI_INTR0_STATUS on that SPI's CPU and
 * handles each set bit's vector there. How a vector then reaches the CPU of its own
 * smp_affinity is the kernel's choice, `DwMsiMode`:
 * - `redirect` (Linux 7.0, genirq's interrupt redirection with "PCI: dwc: Enable MSI affinity
 *   support"): a vector whose affinity leaves out the demultiplexing CPU is handed to a CPU of
 *   its mask by irq_work and an IPI, and its handler runs there in hardirq context; one whose
 *   mask has that CPU runs inline.
 * - `chained` (earlier kernels): every vector runs inline on the SPI's CPU, and a write to a
 *   vector's smp_affinity fails with EIO (the chip has no irq_set_affinity; MSI_FLAG_NO_AFFINITY).
 * - `direct`: each vector goes straight to the CPU of its affinity, as an ITS or an x86 APIC
 *   delivers an MSI (no DWC demultiplexing).
 */
import type { ExecContext, Host, IrqVector } from '@ntbsim/kernel';
import type { MemRegion } from './memory.js';

/** R-Car S4's PCIe controller "msi" interrupt (r8a779f0.dtsi pciec0: msi GIC_SPI 416, dma 417, sft_ce 418, app 422), so GIC hwirq 448. */
export const DW_MSI_GIC_HWIRQ = 416 + 32;

/** How the RC's DWC MSI controller hands a vector to a CPU (see the module comment). */
export type DwMsiMode = 'redirect' | 'chained' | 'direct';

/** The modes, in the order options list them. */
export const DW_MSI_MODES: readonly DwMsiMode[] = ['redirect', 'chained', 'direct'];

/** The RC host bridge's MSI controller: the chained `msi` SPI and its demultiplexing of the EP's vectors. */
export class DwMsiController {
  /** Vectors handed to another CPU (`redirect`: irq_work queued there and an IPI sent). */
  redirected = 0;
  private parentIrq: IrqVector | null = null;
  private status = 0;
  private vectors: readonly IrqVector[] = [];

  /** The controller of `host`'s PCIe root port, in `mode`. */
  constructor(
    private readonly host: Host,
    /** How vectors reach their CPUs. */
    readonly mode: DwMsiMode,
  ) {}

  /** The chained `msi` SPI (null before the first vectors are attached, and in `direct` mode). */
  get parent(): IrqVector | null {
    return this.parentIrq;
  }

  /** Whether the vectors it serves can be steered (`smp_affinity` writable). */
  get steerable(): boolean {
    return this.mode !== 'chained';
  }

  /** Serve `irqs` (index = MSI data): the driver's pci_alloc_irq_vectors; the SPI is requested once, as dw_pcie_host_init does. */
  attach(irqs: readonly IrqVector[]): void {
    this.vectors = irqs;
    this.status = 0;
    if (this.mode !== 'direct') this.parentIrq ??= this.host.requestIrq('dw-pcie-msi', (ctx) => this.demux(ctx), { chained: true });
  }

  /** Stop serving them (pci_free_irq_vectors). */
  detach(): void {
    this.vectors = [];
    this.status = 0;
  }

  /** An MSI write with data `hwirq` landed: set its status bit and raise the SPI (or the vector, `direct`); false if no vector is there. */
  deliver(hwirq: number): boolean {
    const irq = this.vectors[hwirq];
    if (irq === undefined) return false;
    if (this.parentIrq === null) {
      irq.raise();
      return true;
    }
    this.status |= 1 << hwirq;
    this.parentIrq.raise();
    return true;
  }

  /** dw_handle_msi_irq: each set status bit, lowest first, cleared and its vector handled inline or redirected. */
  private demux(ctx: ExecContext): void {
    let bits = this.status;
    this.status = 0;
    while (bits !== 0) {
      const hwirq = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      const irq = this.vectors[hwirq];
      if (irq === undefined) continue;
      if (this.mode === 'chained' || irq.target === ctx.cpu) {
        irq.handleIn(ctx);
        continue;
      }
      // irq_work_queue_on + the IPI's SGI register write; the vector's handler runs on its CPU.
      // A vector already pending there has its irq_work queued: no second IPI.
      ctx.charge(this.host.costs.mmioWrite());
      this.redirected++;
      if (irq.raise()) this.host.sendIpi(ctx.cpu, irq.target, 'irq-work');
    }
  }
}

/** MSI capability state shared by the EP (which raises) and the RC (which enables). */
export class MsiCapability {
  /** MSI Enable bit. */
  enabled = false;
  /** Message address (RC bus address of the receiver). */
  addr = 0;
  /** Vectors enabled by the host (Multiple Message Enable). */
  vectors = 0;
  /** MSIs dropped at the receiver because the vector was not requested. */
  unclaimed = 0;
  private controller: DwMsiController | null = null;

  /** A capability offering `offered` vectors (Multiple Message Capable). */
  constructor(/** Vectors the function offers (Multiple Message Capable). */ readonly offered: number) {}

  /** Host side: enable `irqs.length` vectors delivered through `receiver` and `controller` (pci_alloc_irq_vectors + request_irq). */
  enable(receiver: MemRegion, irqs: readonly IrqVector[], controller: DwMsiController): void {
    this.addr = receiver.dmaAddr;
    this.vectors = irqs.length;
    this.enabled = true;
    this.controller = controller;
    controller.attach(irqs);
    receiver.onWrite = () => {
      if (!controller.deliver(receiver.view.getUint32(0, true))) this.unclaimed++;
    };
  }

  /** Host side: disable MSI (pci_free_irq_vectors). */
  disable(receiver: MemRegion): void {
    this.enabled = false;
    this.vectors = 0;
    receiver.onWrite = null;
    this.controller?.detach();
    this.controller = null;
  }
}
