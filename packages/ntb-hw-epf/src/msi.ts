/**
 * The EP function's MSI capability as the RC programs it (pci_alloc_irq_vectors writes the
 * message address and enables the vectors), and the RC's DWC MSI receiver: a 4-byte target in
 * RC memory whose landing writes raise the host vector named by the message data.
 */
import type { IrqVector } from '@ntbsim/kernel';
import type { MemRegion } from './memory.js';

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

  /** A capability offering `offered` vectors (Multiple Message Capable). */
  constructor(/** Vectors the function offers (Multiple Message Capable). */ readonly offered: number) {}

  /** Host side: enable `irqs.length` vectors delivered through `receiver` (pci_alloc_irq_vectors + request_irq). */
  enable(receiver: MemRegion, irqs: readonly IrqVector[]): void {
    this.addr = receiver.dmaAddr;
    this.vectors = irqs.length;
    this.enabled = true;
    receiver.onWrite = () => {
      const irq = irqs[receiver.view.getUint32(0, true)];
      if (irq === undefined) this.unclaimed++;
      else irq.raise();
    };
  }

  /** Host side: disable MSI (pci_free_irq_vectors). */
  disable(receiver: MemRegion): void {
    this.enabled = false;
    this.vectors = 0;
    receiver.onWrite = null;
  }
}
