/**
 * `x86-server`: a contrasting platform, two modern x86 servers joined by a PCIe NTB at Gen4 x8.
 * PCIe is cache-coherent on x86, so the RX ring is ordinary write-back memory and the RX copy
 * runs at cached speed: the uncached-read bottleneck of R-Car S4 does not exist here.
 */
import type { PlatformProfile } from './schema.js';

/** The x86 server profile (raw data; validate with `parseProfile`). */
export const x86ServerProfile = {
  name: 'x86-server',
  description: 'Two 16-core x86 servers at 3.0 GHz, PCIe Gen4 x8 NTB, cache-coherent DMA',
  cpu: {
    count: { value: 16, unit: 'cpus', source: 'estimate', note: 'a typical 16-core server socket' },
    clockMhz: { value: 3_000, unit: 'MHz', source: 'estimate', note: 'typical all-core clock' },
    costClockMhz: { value: 3_000, unit: 'MHz', source: 'estimate', note: 'the CPU costs below are estimates for this clock' },
    llcCpus: { value: 16, unit: 'cpus', source: 'estimate', note: 'one socket, its L3 shared by all cores' },
  },
  kernel: {
    hz: { value: 1000, unit: 'Hz', source: 'code', note: 'distribution x86 kernels commonly set CONFIG_HZ_1000' },
    irqEntryExitNs: { value: 500, unit: 'ns', source: 'estimate', note: 'x86 APIC IRQ entry/exit at 3 GHz' },
    softirqEntryNs: { value: 200, unit: 'ns', source: 'estimate', note: 'softirq dispatch at 3 GHz' },
    wakeupNs: { value: 2_000, unit: 'ns', source: 'estimate', note: 'wakeup + context switch at 3 GHz' },
    execNs: { value: 400_000, unit: 'ns', source: 'estimate', note: 'fork + execve + ld.so of a dynamically linked tool at 3 GHz, 0.2-0.6 ms' },
  },
  memory: {
    memcpyCachedMBps: { value: 12_000, unit: 'MB/s', source: 'estimate', note: 'single-thread rep movsb copy on a modern server' },
    memcpyToWcMBps: { value: 8_000, unit: 'MB/s', source: 'estimate', note: 'WC writes to a PCIe BAR, bounded by the link' },
    readUncachedMBps: { value: 10_000, unit: 'MB/s', source: 'estimate', note: 'coherent DMA memory is write-back cached on x86' },
    memcpyCallNs: { value: 50, unit: 'ns', source: 'estimate', note: 'call and alignment overhead' },
    mmioReadNs: { value: 1_000, unit: 'ns', source: 'measured', note: 'user-space BAR read ~1-2 us on x86 (facts §2)' },
    mmioWriteNs: { value: 50, unit: 'ns', source: 'estimate', note: 'posted write issue cost' },
    ramMiB: { value: 65_536, unit: 'MiB', source: 'estimate', note: 'a typical 16-core server: 64 GiB (4 GiB per core, 8 x 8 GiB DIMMs)' },
  },
  pcie: {
    gen: { value: 4, unit: 'gen', source: 'estimate', note: 'Gen4 NTB adapter' },
    lanes: { value: 8, unit: 'lanes', source: 'estimate', note: 'x8 NTB adapter' },
    tlpEfficiency: { value: 0.88, unit: 'ratio', source: 'estimate', note: '256 B MPS TLP overhead' },
    latencyNs: { value: 500, unit: 'ns', source: 'estimate', note: 'one-way TLP latency through an NTB switch' },
    msiVectors: { value: 32, unit: 'vectors', source: 'estimate', note: 'MSI-X capable NTB' },
  },
  dma: {
    channels: { value: 8, unit: 'channels', source: 'estimate', note: 'IOAT-class DMA engine' },
    rateMBps: { value: 6_000, unit: 'MB/s', source: 'estimate', note: 'per-channel DMA copy rate' },
    setupNs: { value: 800, unit: 'ns', source: 'estimate', note: 'dmaengine prep + submit at 3 GHz' },
    doneLatencyNs: { value: 0, unit: 'ns', source: 'estimate', note: 'completion MSI-X raised as the transfer ends' },
  },
  net: {
    txPerPacketNs: { value: 3_000, unit: 'ns', source: 'estimate', note: 'TCP/IP output per packet at 3 GHz' },
    rxPerPacketNs: { value: 2_500, unit: 'ns', source: 'estimate', note: 'TCP/IP input per packet at 3 GHz' },
    ackNs: { value: 1_000, unit: 'ns', source: 'estimate', note: 'one ACK at 3 GHz' },
    csumMBps: { value: 15_000, unit: 'MB/s', source: 'estimate', note: 'x86 csum_partial with ADC chains' },
    userCopyMBps: { value: 12_000, unit: 'MB/s', source: 'estimate', note: 'copy_to_user, rep movsb' },
    skbAllocNs: { value: 300, unit: 'ns', source: 'estimate', note: 'skb alloc + free at 3 GHz' },
  },
  noise: {
    runScaleSd: { value: 0.01, unit: 'ratio', source: 'estimate', note: 'run-to-run spread' },
    chargeJitterSd: { value: 0.02, unit: 'ratio', source: 'estimate', note: 'cache contention' },
  },
} as const satisfies PlatformProfile;
