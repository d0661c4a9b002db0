/**
 * `rcar-s4`: two Renesas R-Car S4 Spider boards (R8A779F0), one PCIe RC and one EP
 * (pci-epf-vntb), as in the seed posts. Facts come from `reference/rcar-s4-platform-facts.md`
 * (the r8a779f0.dtsi, arm64 defconfig, and measurements on similar Cortex-A55 SoCs).
 * Parameters marked `calibrated` are fitted to the single-queue published rows only.
 */
import type { PlatformProfile } from './schema.js';

/** The R-Car S4 Spider profile (raw data; validate with `parseProfile`). */
export const rcarS4Profile = {
  name: 'rcar-s4',
  description: 'Two R-Car S4 Spider boards (8x Cortex-A55 @ 1.2 GHz, PCIe Gen4 x2, non-coherent), RC + pci-epf-vntb EP',
  cpu: {
    count: { value: 8, unit: 'cpus', source: 'datasheet', note: 'r8a779f0.dtsi: 8x Cortex-A55 in 4 clusters of 2' },
    clockMhz: { value: 1200, unit: 'MHz', source: 'datasheet', note: 'r8a779f0.dtsi cluster OPP table: 1.2 GHz top OPP' },
    costClockMhz: { value: 1200, unit: 'MHz', source: 'calibrated', note: 'the CPU costs below were calibrated against the seed boards running at their 1.2 GHz OPP' },
    llcCpus: { value: 2, unit: 'cpus', source: 'code', note: 'r8a779f0.dtsi: one unified L3 node (L3_CA55_0..3) per 2-core cluster, so the LLC domain is a cluster' },
  },
  kernel: {
    hz: { value: 250, unit: 'Hz', source: 'code', note: 'arm64 defconfig leaves HZ unset: Kconfig.hz default HZ_250' },
    irqEntryExitNs: { value: 2_000, unit: 'ns', source: 'estimate', note: 'A55 @1.2 GHz GICv3 entry/exit + DWC MSI demux, ~1-3 us (facts §3)' },
    softirqEntryNs: { value: 1_000, unit: 'ns', source: 'estimate', note: 'softirq/tasklet dispatch on A55, ~1 us (facts §3)' },
    wakeupNs: { value: 8_000, unit: 'ns', source: 'estimate', note: 'RK3568 cyclictest avg 16 us at ~2 GHz under load; ~8 us wake + switch (facts §3)' },
    execNs: { value: 2_000_000, unit: 'ns', source: 'estimate', note: 'fork + execve + ld.so of a dynamically linked tool (iperf3 with libiperf and libssl) on a 1.2 GHz in-order Arm core, 1-3 ms' },
  },
  memory: {
    memcpyCachedMBps: { value: 2_000, unit: 'MB/s', source: 'estimate', note: 'A55 DRAM-to-DRAM copy 1.5-3 GB/s at 1.2 GHz (facts §2, sbc-bench on RK3566/RK3568)' },
    memcpyToWcMBps: { value: 1_800, unit: 'MB/s', source: 'estimate', note: 'WC (Normal-NC) writes run at about cached speed (udmabuf README); bounded by Gen4 x2 (facts §2)' },
    readUncachedMBps: {
      value: 77.9,
      unit: 'MB/s',
      source: 'calibrated',
      note:
        'an effective rate, not the copy alone: the RX tasklet is charged this per byte of each frame copied out of the Normal-NC RX ring, fitted to the baseline TCP and UDP means only by `ntb-bench calibrate` (defaults; residuals -3.2% / +1.1%). ' +
        'The copy alone is estimated at 200-600 MB/s (facts §2); at 64 KiB frames the gap is ~0.5-0.7 ms per frame of RX-CPU work the model does not itemise. Candidates: ntb_netdev_rx_handler allocating a new mtu + ETH_HLEN skb per frame (an order-5 kmalloc_large, uncharged); ' +
        "the copy's writes into that cold 64 KiB buffer (charged at the read rate only); ntb_transport's per-frame header reads from the NC ring and list/lock bookkeeping (charged as one 12-byte read)",
    },
    memcpyCallNs: { value: 200, unit: 'ns', source: 'estimate', note: 'call, alignment head and tail of lib/iomem_copy.c' },
    mmioReadNs: { value: 1_500, unit: 'ns', source: 'estimate', note: 'non-posted PCIe read round trip, 1-2 us on Gen4 x2 (facts §2)' },
    mmioWriteNs: { value: 100, unit: 'ns', source: 'estimate', note: 'posted write issue cost into the WC/Device mapping' },
    ramMiB: { value: 3968, unit: 'MiB', source: 'code', note: 'r8a779f0-spider-cpu.dtsi memory nodes: 0x78000000 at 0x48000000 (1920 MiB; the first 128 MiB are secure) + 0x80000000 at 0x480000000 (2 GiB)' },
  },
  pcie: {
    gen: { value: 4, unit: 'gen', source: 'datasheet', note: 'r8a779f0.dtsi max-link-speed = <4>' },
    lanes: { value: 2, unit: 'lanes', source: 'datasheet', note: 'r8a779f0.dtsi num-lanes = <2>' },
    tlpEfficiency: { value: 0.85, unit: 'ratio', source: 'estimate', note: '256 B MPS TLPs with 24-26 B overhead plus DLLPs' },
    latencyNs: { value: 700, unit: 'ns', source: 'estimate', note: 'one-way TLP latency through two DWC controllers and an OcuLink cable' },
    msiVectors: { value: 16, unit: 'vectors', source: 'code', note: 'R-Car S4 EP: MSI only, 16 vectors (pcie-rcar-gen4.c)' },
  },
  dma: {
    channels: { value: 8, unit: 'channels', source: 'estimate', note: 'DW eDMA unroll window 0x1200 B fits 8 write + 8 read channels (facts §1)' },
    rateMBps: { value: 3_000, unit: 'MB/s', source: 'estimate', note: 'eDMA write channel near the Gen4 x2 payload rate' },
    setupNs: { value: 3_000, unit: 'ns', source: 'estimate', note: 'dmaengine prep + submit + issue_pending on A55' },
    doneLatencyNs: {
      value: 0,
      unit: 'ns',
      source: 'estimate',
      note: 'done interrupt raised as the transfer ends; the RFC eDMA interrupt fallback used for the only R-Car S4 DMA figures is slower by an unknown amount (up to ~97 us per 64 KiB descriptor, see the root README)',
    },
  },
  net: {
    txPerPacketNs: { value: 12_000, unit: 'ns', source: 'estimate', note: 'TCP/IP output + qdisc + ndo_start_xmit at 1.2 GHz, 5-15 us (facts §3)' },
    rxPerPacketNs: { value: 10_000, unit: 'ns', source: 'estimate', note: 'netif_receive_skb + IP + TCP input at 1.2 GHz, 5-10 us (facts §3)' },
    ackNs: { value: 4_000, unit: 'ns', source: 'estimate', note: 'build, send and process one ACK on A55' },
    csumMBps: { value: 2_000, unit: 'MB/s', source: 'estimate', note: 'arm64 do_csum on A55, 1-3 GB/s (facts §3)' },
    userCopyMBps: { value: 2_000, unit: 'MB/s', source: 'estimate', note: 'copy_to_user, same order as cached memcpy (facts §2)' },
    skbAllocNs: { value: 1_000, unit: 'ns', source: 'estimate', note: 'skb alloc + free, ~1 us (facts §3)' },
  },
  noise: {
    runScaleSd: {
      value: 0.0096,
      unit: 'ratio',
      source: 'calibrated',
      note: "SD of each host's run factor (every cost × N(1, sd), drawn once per run); fitted to the baseline TCP run-to-run SD (5.84 Mb/s over 10 runs) by `ntb-bench calibrate` (defaults: 10 seeds, 2 scalings by published / simulated SD): simulated 5.74 Mb/s (-1.7%)",
    },
    chargeJitterSd: { value: 0.02, unit: 'ratio', source: 'estimate', note: 'cache and DRAM contention on per-byte copies' },
  },
} as const satisfies PlatformProfile;
