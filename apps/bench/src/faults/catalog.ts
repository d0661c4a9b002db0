/**
 * The fault scenarios of issue #8, each with its loss-accounting rule (where the kernel loses
 * and which counter it uses) and its resume bound. Bounds are stated per scenario: a heal that
 * leaves frames in the ring is resumed by the next doorbell (µs); one whose frames were lost
 * is resumed by TCP's retransmission timer (TCP_RTO_MIN 200 ms, doubled by backoff during the
 * outage) plus the transport's 10 ms link retries; one that took a carrier down, plus ARP's next
 * probe (`ARP_REPROBE_NS`: an entry made while the carrier was down waits up to 1 s).
 */
import { injectFault, type FaultSpec } from './inject.js';
import { startStream, type StreamState } from './traffic.js';
import { stormScenarios } from './storms.js';
import { ARP_REPROBE_NS, bothDelta, counterDelta, linkInconsistency, longestGap, malformedFrames, runLabLine, staleRefusedDetail, type AccountingView, type Scenario, type ScenarioStep } from './scenario.js';
import { peerBoard, type BoardName, type Lab } from '../lab/lab.js';
import { lostFrameDiagnosis, relinkOverrunDiagnosis, staleDiagnosis } from '../lab/diagnose.js';

const MS = 1_000_000;

/** A step that injects `spec` and throws if the API rejects it. */
export function faultStep(at: number, spec: FaultSpec): ScenarioStep {
  return {
    at,
    run: (lab) => {
      let why = '';
      const rc = injectFault(lab, spec, (m) => (why = m));
      if (rc !== 0) throw new Error(`fault ${spec.kind} rejected (${rc}): ${why}`);
    },
  };
}


/** No frame may be lost: no TCP retransmission and no driver drop or error on either board. */
function noLoss(v: AccountingView): string | null {
  const bad = (['retransSegs', 'txDropped', 'rxErrors', 'rxErrVer'] as const).filter((k) => bothDelta(v, k) !== 0);
  return bad.length === 0 ? null : `unexpected loss: ${bad.map((k) => `${k} +${bothDelta(v, k)}`).join(', ')}`;
}
const noLossDetail = (): string => 'no loss: RetransSegs, tx_dropped, rx_errors, rx_err_ver unchanged on both boards';

/**
 * No frame may be lost across a QP link reset: no TCP retransmission, no driver drop or error.
 * A slot of the old session read again after the reset (its RX copy still in flight when the
 * link cleanup zeroed rx_index, so its DONE flag not yet cleared) is refused by the ver check
 * (rx_err_ver): the frame itself was taken before the reset, nothing is lost.
 */
function noLossAcrossReset(v: AccountingView): string | null {
  const bad = (['retransSegs', 'txDropped', 'rxErrors'] as const).filter((k) => bothDelta(v, k) !== 0);
  return bad.length === 0 ? null : `unexpected loss: ${bad.map((k) => `${k} +${bothDelta(v, k)}`).join(', ')}`;
}

/**
 * No frame lost by the driver or the DMA engine; a TCP retransmission only where the receiver
 * queued data out of order: the stream's segments on the queue taken away and on the one it
 * moved to overtook each other, and Reno without SACK answers the duplicate ACKs with a fast
 * retransmission of a segment that was not lost.
 */
function noLossAcrossRequeue(v: AccountingView): string | null {
  const bad = (['txDropped', 'rxErrors', 'dmaTerminated'] as const).filter((k) => bothDelta(v, k) !== 0);
  if (bad.length > 0) return `unexpected loss: ${bad.map((k) => `${k} +${bothDelta(v, k)}`).join(', ')}`;
  const retrans = bothDelta(v, 'retransSegs');
  return retrans > 0 && ofoQueued(v) === 0 ? `unexpected loss: retransSegs +${retrans} with no data received out of order` : null;
}

/** Segments the two boards' TCP queued out of order (TcpExt TCPOFOQueue). */
function ofoQueued(v: AccountingView): number {
  return v.lab.boards.rc.stack.tcpExt.TCPOFOQueue + v.lab.boards.ep.stack.tcpExt.TCPOFOQueue;
}

/** No frame lost by the driver or the transport (a late frame may still cost a TCP retransmission). */
function noDriverLoss(v: AccountingView): string | null {
  const bad = (['txDropped', 'rxErrors', 'rxErrVer'] as const).filter((k) => bothDelta(v, k) !== 0);
  return bad.length === 0 ? null : `a frame lost in the driver or transport: ${bad.map((k) => `${k} +${bothDelta(v, k)}`).join(', ')}`;
}

/** Loss only from frames the link ate, counted in the fabric's dropped counters, recovered by TCP retransmission; no driver error. */
function linkLoss(v: AccountingView): string | null {
  const dropped = bothDelta(v, 'droppedLinkDown');
  const retrans = bothDelta(v, 'retransSegs');
  if (bothDelta(v, 'rxErrVer') !== 0 || bothDelta(v, 'rxLengthErrors') !== 0) return `corrupt frames counted: rx_err_ver +${bothDelta(v, 'rxErrVer')}, rx_length_errors +${bothDelta(v, 'rxLengthErrors')}`;
  if (retrans > 0 && dropped === 0 && bothDelta(v, 'txDropped') === 0) return `TCP retransmitted ${retrans} segments but no drop was counted`;
  return null;
}
const linkLossDetail = (v: AccountingView): string => `link ate ${bothDelta(v, 'droppedLinkDown')} TLPs (fabric dropped_link_down), ntb0 tx_dropped +${bothDelta(v, 'txDropped')}, TCP RetransSegs +${bothDelta(v, 'retransSegs')}`;

/**
 * Loss only from the transport/netdev reset: counted by ntb0 tx_dropped (-ENOLINK) or recovered
 * by TCP; no malformed frame reaches ntb_netdev (rx_length_errors). Frames the peer wrote in the
 * previous QP session and finds after a one-sided reset fail the transport's ver check
 * (rx_err_ver, counted since the reset): the check doing its job, as in the kernel.
 */
const resetLoss = malformedFrames;
const resetDetail = (v: AccountingView): string => `ntb0 tx_dropped +${bothDelta(v, 'txDropped')}, TCP RetransSegs +${bothDelta(v, 'retransSegs')}; ${staleRefusedDetail(v.after.rc.rxErrVer + v.after.ep.rxErrVer)}`;


function stream(id: string, fault: string, title: string, rest: Omit<Scenario, 'id' | 'fault' | 'title' | 'from' | 'bytes' | 'faultAfterNs' | 'deadlineNs'> & Partial<Pick<Scenario, 'from' | 'bytes' | 'faultAfterNs' | 'deadlineNs'>>): Scenario {
  return { id, fault, title, from: 'ep', bytes: 3_000_000, faultAfterNs: 10 * MS, deadlineNs: 3000 * MS, ...rest };
}

/** A step at `at` that notes in `arpWaiting` the ARP entries of both boards left INCOMPLETE (resolving, their requests dropped while a carrier was down). */
function noteArpWaiting(at: number): ScenarioStep {
  return { at, run: (lab, notes) => notes.set('arpWaiting', (['rc', 'ep'] as const).reduce((n, b) => n + lab.boards[b].stack.arp.entries().filter((e) => e.state === 'INCOMPLETE').length, 0)) };
}

/**
 * ntb_transport_link_down then _up of `board`'s QPs, 20 ms apart: both carriers go down. On the
 * RC, with the kernel's defaults, the carrier loss also forgets the ARP entries
 * (neigh_carrier_down), the EP's next segment makes a new INCOMPLETE entry whose request the
 * carrier-less ntb0 drops, and the stream waits for its next probe, up to retrans_time (1 s)
 * after the heal: a weakness of ARP over a link that flaps, shown here; with
 * net.ipv4.conf.ntb0.arp_evict_nocarrier=0 on both boards (`keepArp`) the entries survive the
 * flap and the stream resumes on TCP's retransmission alone.
 */
function qpLink(board: BoardName, variant: 'clear-ring' | 'keep-arp' | null = null): Scenario {
  const clearRing = variant === 'clear-ring';
  const keepArp = variant === 'keep-arp';
  const kernel = board === 'ep' && !clearRing;
  const evictOff = (['rc', 'ep'] as const).map((b) => ({ board: b, line: 'sysctl -q -w net.ipv4.conf.ntb0.arp_evict_nocarrier=0' }));
  return stream(`qp-link-${board}${variant === null ? '' : `-${variant}`}`, 'transport link down/up', `ntb_transport_link_down then _up of ${board}'s QPs, 20 ms apart${clearRing ? ', clear_rx_ring_on_qp_link=Y' : ''}${keepArp ? ', arp_evict_nocarrier=0 on both boards' : ''}`, {
    ...(clearRing ? { lab: { params: { transport: { clearRxRingOnQpLink: true }, netdev: {} } } } : {}),
    ...(keepArp ? { setup: evictOff } : {}),
    steps: [faultStep(0, { kind: 'qp-link', board, up: false }), faultStep(20 * MS, { kind: 'qp-link', board, up: true }), noteArpWaiting(20 * MS)],
    healAtNs: 20 * MS,
    resumeBoundNs: keepArp ? 700 * MS : 700 * MS + ARP_REPROBE_NS,
    carrierDuringFault: 'off',
    account: resetLoss,
    accountDetail: resetDetail,
    // The EP's QP link reset 6 ms into the stream finds frames of the old session in its RX
    // ring, as its netdev reset does (`reset`).
    ...(board === 'ep'
      ? { faultAfterNs: 6 * MS, weakness: staleDescriptors(kernel) }
      : {
          weakness: {
            expect: keepArp ? 'absent' : 'shown',
            observed: (v: AccountingView) => {
              const waiting = v.notes.get('arpWaiting') ?? 0;
              return {
                shown: waiting > 0,
                detail: waiting > 0 ? `${waiting} ARP entr${waiting === 1 ? 'y' : 'ies'} INCOMPLETE at the heal (made while the carrier was down, the request dropped): the stream waits for the next probe` : 'no ARP entry left resolving at the heal: the entries survived the carrier loss',
              };
            },
          },
        }),
  });
}

function reset(board: BoardName, clearRing = false): Scenario {
  return stream(`reset-${board}${clearRing ? '-clear-ring' : ''}`, 'peer reset', `ntb0 on ${board} closed and reopened (ndo_stop/ndo_open: LINK_DOWN to the peer, RX buffers re-posted)${clearRing ? ', clear_rx_ring_on_qp_link=Y' : ''}`, {
    ...(clearRing ? { lab: { params: { transport: { clearRxRingOnQpLink: true }, netdev: {} } } } : {}),
    from: peerBoard(board),
    steps: [faultStep(0, { kind: 'reset', board })],
    healAtNs: 0,
    resumeBoundNs: 700 * MS + ARP_REPROBE_NS,
    account: resetLoss,
    accountDetail: resetDetail,
    // The EP's reset 6 ms into the RC's stream finds frames of the old session in its RX ring
    // (from 4 to 7 ms with seed 1; at 10 ms it finds none and the stream recovers).
    ...(board === 'ep' ? { faultAfterNs: 6 * MS, weakness: staleDescriptors(!clearRing) } : {}),
  });
}

/**
 * The stale-descriptor weakness of a one-sided QP reset: the EP's RX ring keeps frames of the
 * old session, it consumes one after the reset and its ring indices part from the RC's, and
 * the stream wedges (`shown` expected with the kernel's behaviour, `absent` with
 * clear_rx_ring_on_qp_link=Y).
 */
function staleDescriptors(kernel: boolean): NonNullable<Scenario['weakness']> {
  return {
    expect: kernel ? 'shown' : 'absent',
    wedges: true,
    observed: (v: AccountingView) => {
      const why = staleDiagnosis(v.lab);
      return { shown: why !== '', detail: why === '' ? `no stale descriptor consumed; the stream finished (${v.stream.received} B)` : `the stream wedged at ${v.stream.received} B${why}` };
    },
  };
}

/**
 * A peer reset by module reload. From the RC, ntb_transport_free's link_disable sends the EP a
 * LINK_DOWN command, so both sides renegotiate when it comes back. From the EP it cannot:
 * vNTB's link_enable/link_disable are no-ops, the host sees no link event, never rewrites the
 * EP's scratchpads (zeroed by the EP's link cleanup), and the EP's transport retries forever
 * against VERSION 0 (a weakness of the EPF NTB, shown here) until the host reloads too.
 */
function reload(board: BoardName): Scenario {
  const fromEp = board === 'ep';
  const hostReloadAt = 300 * MS;
  return stream(`reload-${board}`, 'peer reset', fromEp ? `ntb_netdev and ntb_transport on ep removed and loaded again: the host sees no link event (vNTB link_disable is a no-op) and the EP's transport waits on zeroed scratchpads, until the host reloads its modules at +300 ms` : `ntb_netdev and ntb_transport on rc removed and loaded again (ntb_transport_free: link cleanup, spads zeroed, LINK_DOWN command to the EP; then probe, renegotiation, a new ntb0 configured and up)`, {
    from: peerBoard(board),
    steps: fromEp
      ? [
          faultStep(0, { kind: 'reload', board }),
          { at: hostReloadAt, run: (lab, notes) => notes.set('epLinkUp', lab.boards.ep.transport()?.linkIsUp === true ? 1 : 0) },
          faultStep(hostReloadAt, { kind: 'reload', board: 'rc' }),
        ]
      : [faultStep(0, { kind: 'reload', board })],
    healAtNs: fromEp ? hostReloadAt : 0,
    resumeBoundNs: 1500 * MS + ARP_REPROBE_NS,
    account: resetLoss,
    accountDetail: resetDetail,
    ...(fromEp
      ? {
          weakness: {
            expect: 'shown' as const,
            observed: (v: AccountingView) => {
              const stuck = v.notes.get('epLinkUp') === 0;
              return { shown: stuck, detail: stuck ? `the EP's reloaded transport was still not linked ${hostReloadAt / MS} ms later (it reads VERSION 0 from its zeroed scratchpads and the host never rewrites them); the host's reload brought both back` : "the EP's reloaded transport linked up by itself" };
            },
          },
        }
      : {}),
  });
}

function wc(flush: boolean): Scenario {
  let probe: StreamState | null = null;
  return stream(`wc-linger-flush-${flush ? 'on' : 'off'}`, 'write-combining delay', `WC linger 20 µs on both hosts for 60 ms, flush_done_flag=${flush ? 'Y' : 'N'}; a 20 kB connection opened at +45 ms, once the 1 MB stream is done`, {
    lab: { params: { transport: { flushDoneFlag: flush }, netdev: {} } },
    bytes: 1_000_000,
    faultAfterNs: 0,
    steps: [
      faultStep(0, { kind: 'wc-linger', ns: 20_000, side: 'both' }),
      { at: 45 * MS, run: (lab) => (probe = startStream(lab, { from: 'ep', bytes: 20_000, port: 5302 })) },
      { at: 60 * MS, run: (_lab, notes) => notes.set('probeDone', probe !== null && probe.doneAt >= 0 && probe.firstBadOffset < 0 ? 1 : 0) },
      faultStep(60 * MS, { kind: 'wc-linger', ns: 0, side: 'both' }),
    ],
    healAtNs: 60 * MS,
    resumeBoundNs: 700 * MS,
    account: flush ? noLoss : noDriverLoss,
    accountDetail: flush ? noLossDetail : (v) => `no frame lost in the driver or transport (tx_dropped, rx_errors, rx_err_ver unchanged on both boards); stalls recovered by TCP (RetransSegs +${bothDelta(v, 'retransSegs')})`,
    weakness: {
      expect: flush ? 'absent' : 'shown',
      observed: (v) => {
        const done = v.notes.get('probeDone') === 1;
        const gap = longestGap(v.stream, v.faultAt, v.healAt);
        return { shown: !done || gap > 20 * MS, detail: `longest delivery stall of the 1 MB stream during the linger ${(gap / MS).toFixed(2)} ms; the 20 kB connection opened on the idle link at +45 ms ${done ? 'completed' : 'stalled'} by the heal at +60 ms (${bothDelta(v, 'tcpTimeouts')} TCP RTOs)` };
      },
    },
  });
}

function dropDoorbells(): Scenario {
  return stream('drop-doorbells', 'lost doorbells', 'the next 2 host→EP doorbells are lost on the wire (RC sends): frames wait in the ring for the next doorbell, a TCP retransmission', {
    from: 'rc',
    steps: [faultStep(0, { kind: 'drop-doorbells', count: 2 })],
    healAtNs: 0,
    resumeBoundNs: 1000 * MS,
    account: (v) => (counterDelta(v, 'rc', 'droppedFault') === 2 ? noDriverLoss(v) : `rc→ep dropped_fault +${counterDelta(v, 'rc', 'droppedFault')}, expected 2`),
    accountDetail: (v) => `2 doorbells dropped (rc→ep dropped_fault +${counterDelta(v, 'rc', 'droppedFault')}); no frame lost in the driver or transport (tx_dropped, rx_errors, rx_err_ver unchanged), the late ones recovered by TCP: RetransSegs +${bothDelta(v, 'retransSegs')}`,
  });
}

function dropMsis(): Scenario {
  return stream('drop-msis', 'lost MSI', 'the next 2 EP→host MSIs are lost on the wire (EP sends): frames wait in the ring for the next MSI, a TCP retransmission', {
    steps: [faultStep(0, { kind: 'drop-msis', count: 2 })],
    healAtNs: 0,
    resumeBoundNs: 1000 * MS,
    account: (v) => (counterDelta(v, 'ep', 'droppedFault') === 2 ? noDriverLoss(v) : `ep→rc dropped_fault +${counterDelta(v, 'ep', 'droppedFault')}, expected 2`),
    accountDetail: (v) => `2 MSIs dropped (ep→rc dropped_fault +${counterDelta(v, 'ep', 'droppedFault')}); no frame lost in the driver or transport (tx_dropped, rx_errors, rx_err_ver unchanged), the late ones recovered by TCP: RetransSegs +${bothDelta(v, 'retransSegs')}`,
  });
}

function spurious(): Scenario {
  const steps: ScenarioStep[] = [];
  for (let i = 0; i < 10; i++) {
    steps.push(faultStep(i * MS, { kind: 'spurious-doorbell', to: 'ep', slot: 2 + (i % 4) }));
    steps.push(faultStep(i * MS, { kind: 'spurious-doorbell', to: 'rc', vector: 2 + (i % 4) }));
  }
  return stream('spurious-doorbell', 'spurious doorbells', '10 spurious doorbells (slots 2-5) to the EP and 10 spurious doorbell MSIs (vectors 2-5) to the host', {
    steps,
    healAtNs: 9 * MS,
    resumeBoundNs: 20 * MS,
    account: noLoss,
    accountDetail: noLossDetail,
  });
}

/**
 * A spurious MSI on the RC's link-event vector (vector 0 of ntb_hw_epf) while everything is up.
 * ntb_transport_event_callback sees the link up and re-runs ntb_transport_link_work, whose
 * ntb_transport_setup_qp_mw resets every live QP of the RC only: the EP's rings go on with
 * their old indices and the RC consumes the stale descriptors of the previous session, a wedge
 * (kernel v7.0). With ignore_link_event_when_up=Y the event is ignored and nothing happens.
 */
function spuriousLinkEvent(guard: boolean): Scenario {
  return stream(`spurious-link-event${guard ? '-ignored' : ''}`, 'spurious doorbells', `a spurious MSI on the RC's link-event vector 0 while the link is up${guard ? ', ignore_link_event_when_up=Y' : ''}`, {
    ...(guard ? { lab: { params: { transport: { ignoreLinkEventWhenUp: true }, netdev: {} } } } : {}),
    steps: [faultStep(0, { kind: 'spurious-doorbell', to: 'rc', vector: 0 })],
    healAtNs: 0,
    resumeBoundNs: 20 * MS,
    account: guard ? noLoss : resetLoss,
    accountDetail: guard ? noLossDetail : resetDetail,
    weakness: {
      expect: guard ? 'absent' : 'shown',
      wedges: true,
      observed: (v: AccountingView) => {
        const why = staleDiagnosis(v.lab);
        const done = v.stream.doneAt >= 0;
        return { shown: why !== '' || !done, detail: done && why === '' ? `the link work did not run again; the stream finished (${v.stream.received} B)` : `the RC's QPs were reset one-sidedly and the stream wedged at ${v.stream.received} B${why}` };
      },
    },
  });
}

/**
 * `ethtool -L ntb0 combined 3` on the EP and, at the same instant, on the RC (4 QPs over 2 MWs)
 * while a stream flows EP→RC. Each board starts two QP link works. In kernel v7.0 a link work
 * writes the peer's QP_LINKS with its own QP_LINKS (the value the peer wrote) OR its bit, so
 * two works of one board that run before the peer's next write each drop the other's bit: the
 * EP's qp1 stays down while the RC's is up, for good, as the RC's QPs are all up and never
 * write the EP's QP_LINKS again. A flow the hash puts on queue 1 then stalls in one direction.
 * With qp_links_own_bits=Y each board writes its own advertised bits and every QP comes up.
 * Resume bound: queue 0 is untouched, so the stream goes on at the next doorbell (20 ms).
 */
function channelsAtOnce(fix: boolean): Scenario {
  return stream(`ethtool-L-both-at-once${fix ? '-own-bits' : ''}`, 'ethtool -L storms', `ethtool -L ntb0 combined 3 on both boards at the same instant${fix ? ', qp_links_own_bits=Y' : ''}`, {
    lab: { params: { transport: { maxNumClients: 4, qpLinksOwnBits: fix }, netdev: { queues: 1 } }, vntb: { mwSizes: [1 << 20, 1 << 20] } },
    steps: [
      {
        at: 0,
        run: (lab) => {
          for (const b of ['ep', 'rc'] as const) {
            const rc = lab.boards[b].netdev()?.setChannels({ combinedCount: 3 });
            if (rc !== 0) throw new Error(`${b}: set_channels(3) returned ${String(rc)}`);
          }
        },
      },
    ],
    healAtNs: 0,
    resumeBoundNs: 20 * MS,
    account: fix ? noLossAcrossReset : resetLoss,
    accountDetail: fix ? (v) => `no loss: RetransSegs, tx_dropped, rx_errors unchanged on both boards; ${staleRefusedDetail(v.after.rc.rxErrVer + v.after.ep.rxErrVer)}` : (v) => `no malformed frame (rx_length_errors +${bothDelta(v, 'rxLengthErrors')}); TCP RetransSegs +${bothDelta(v, 'retransSegs')}`,
    weakness: {
      expect: fix ? 'absent' : 'shown',
      wedges: true,
      splitsLink: true,
      observed: (v: AccountingView) => {
        const inc = linkInconsistency(v.lab);
        return { shown: inc !== null, detail: `${inc === null ? 'every QP link up on both boards' : `QP_LINKS lost a bit: ${inc}`}, ${((v.lab.sim.now - v.faultAt) / MS).toFixed(0)} ms after the change` };
      },
    },
  });
}

/**
 * `ethtool -L ntb0 combined 1` on the EP (two queues, use_dma=Y) while its stream's TX copies
 * are in flight on queue 1: the EP's XPS map sends every packet on queue 1 (the RC's on queue
 * 0, so the RC keeps both channels without needing its queue 1). The shrink runs
 * ntb_transport_link_down (a LINK_DOWN frame, copied by the CPU behind the DMA copies) and
 * ntb_transport_free_queue. In kernel v7.0 free_queue waits on the TX channel for
 * `qp->last_cookie`, which only RX submissions record: it returns at once and
 * dmaengine_terminate_all drops the copies in flight, whose DONE flags are never written: the
 * RC's QP 1 stops at the first of those slots, never reads the LINK_DOWN, and stays up on its
 * own. The dropped copies' completions never run, so ntb_netdev never frees their skbs: TCP
 * finds each such segment's clone still referenced (skb_still_in_host_queue) and skips every
 * retransmission of it (TCPSpuriousRtxHostQueues), and the stream wedges. With dma_sync_tx=Y
 * (TX submissions record their cookie) free_queue waits for the copies, the RC reads every
 * frame and the LINK_DOWN and takes its QP 1 down, and nothing is lost.
 */
function dmaShrink(fix: boolean): Scenario {
  return stream(`dma-shrink-ep${fix ? '-sync-tx' : ''}`, 'ethtool -L storms', `use_dma=Y, 2 queues; the EP shrinks to 1 with its stream's DMA copies in flight on queue 1${fix ? ', dma_sync_tx=Y' : ''}`, {
    lab: { params: { transport: { useDma: true, dmaSyncTx: fix, maxNumClients: 2 }, netdev: { queues: 2 } } },
    setup: [
      { board: 'ep', line: 'echo ff > /sys/class/net/ntb0/queues/tx-1/xps_cpus' },
      { board: 'rc', line: 'echo ff > /sys/class/net/ntb0/queues/tx-0/xps_cpus' },
    ],
    steps: [
      {
        at: 0,
        run: (lab, notes) => {
          // Shrink at the first instant, from the fault time on, that the EP has copies in flight (within 10 ms).
          const s = lab.pair.dma.ep.stats;
          const inFlight = (): number => s.submitted - s.completed - s.failed - s.terminated;
          const until = lab.sim.now + 10 * MS;
          while (inFlight() === 0 && lab.sim.now < until) lab.sim.run({ maxEvents: 1 });
          notes.set('inFlight', inFlight());
          runLabLine(lab, 'ep', 'ethtool -L ntb0 combined 1');
        },
      },
    ],
    healAtNs: 0,
    resumeBoundNs: fix ? 20 * MS : 700 * MS,
    account: fix ? noLossAcrossRequeue : resetLoss,
    accountDetail: fix ? (v) => `no loss: tx_dropped, rx_errors unchanged on both boards, no DMA copy dropped; TCP RetransSegs +${bothDelta(v, 'retransSegs')} (${ofoQueued(v)} segment(s) received out of order as the stream moved to queue 0); ${staleRefusedDetail(v.after.rc.rxErrVer + v.after.ep.rxErrVer)}` : (v) => `${counterDelta(v, 'ep', 'dmaTerminated')} DMA cop${counterDelta(v, 'ep', 'dmaTerminated') === 1 ? 'y' : 'ies'} dropped by the terminate, lost without a counter, as in the kernel; no malformed frame (rx_length_errors +${bothDelta(v, 'rxLengthErrors')})`,
    weakness: {
      expect: fix ? 'absent' : 'shown',
      wedges: true,
      splitsLink: true,
      observed: (v: AccountingView) => {
        const rcQp1 = v.lab.boards.rc.transport()?.qps[1];
        const skipped = v.lab.boards.ep.stack.tcpExt.TCPSpuriousRtxHostQueues;
        const up = rcQp1?.linkQuery() === true;
        const dropped = counterDelta(v, 'ep', 'dmaTerminated');
        return {
          shown: up || dropped > 0,
          detail: `${v.notes.get('inFlight') ?? 0} EP DMA cop${v.notes.get('inFlight') === 1 ? 'y' : 'ies'} in flight at the shrink; the terminate dropped ${dropped} DMA cop${dropped === 1 ? 'y' : 'ies'} in flight; the RC's QP 1 is ${up ? `still up, its RX waiting at slot ${rcQp1?.rxIndex ?? 0} for a DONE flag that never comes` : 'down (it read the LINK_DOWN)'}; EP TCPSpuriousRtxHostQueues ${skipped}${skipped > 0 ? ' (retransmissions skipped: the dropped segments\' skbs were never freed)' : ''}; stream at ${v.stream.received} B`,
        };
      },
    },
  });
}

/**
 * DMA errors on `side` with `use_dma=Y`. On the EP (the sender) they hit TX copies, whose CPU
 * fallback writes the entry's own slot: nothing is lost. On the RC (the receiver) they hit RX
 * copies, and ntb_rx_copy_callback's fallback copies from `qp->rx_index`, already advanced
 * past the entry: the stack gets a later slot's bytes (a never-written slot, the next frame, or
 * the frame that slot held a ring lap earlier) and the frame itself is lost, recovered by TCP;
 * every retransmission's DMA fails in turn while the failures last, so the stream stalls in RTO
 * backoff. `rx_dma_fallback_own_slot=Y` copies the entry's own slot.
 */
function dmaError(side: BoardName, ownSlot = false): Scenario {
  const weak = side === 'rc';
  const kernelLoss = weak && !ownSlot;
  return stream(`dma-error-${side}${ownSlot ? '-own-slot' : ''}`, 'DMA channel errors', `use_dma=Y${ownSlot ? ', rx_dma_fallback_own_slot=Y' : ''}; the next 30 DMA descriptors on ${side} fail (CPU copy fallback)`, {
    lab: { params: { transport: { useDma: true, ...(ownSlot ? { rxDmaFallbackOwnSlot: true } : {}) }, netdev: {} } },
    steps: [faultStep(0, { kind: 'dma-error', side, count: 30 })],
    healAtNs: 0,
    resumeBoundNs: 20 * MS,
    account: (v) => {
      const failed = counterDelta(v, side, 'dmaFailed');
      if (kernelLoss) return failed > 0 || bothDelta(v, 'retransSegs') === 0 ? null : `TCP retransmitted ${bothDelta(v, 'retransSegs')} segments but no DMA copy failed`;
      return noLoss(v) ?? (failed === 30 ? null : `${side} DMA failed +${failed}, expected 30`);
    },
    accountDetail: (v) =>
      kernelLoss
        ? `${counterDelta(v, side, 'dmaFailed')} RX DMA descriptors failed; each frame lost without a driver counter, as in the kernel (the copy of another slot reaches the stack: ntb0 rx_errors +${bothDelta(v, 'rxErrors')}), recovered by TCP (RetransSegs +${bothDelta(v, 'retransSegs')})`
        : `${counterDelta(v, side, 'dmaFailed')} DMA descriptors failed and were copied by the CPU; ${noLossDetail()}`,
    ...(weak
      ? {
          weakness: {
            expect: ownSlot ? 'absent' : 'shown',
            wedges: true,
            duplicates: true,
            observed: (v: AccountingView) => {
              const retrans = bothDelta(v, 'retransSegs');
              return {
                shown: retrans > 0,
                detail: `${counterDelta(v, side, 'dmaFailed')} RX DMA copies failed and fell back to the CPU copy ${ownSlot ? 'of the entry\'s own slot' : 'of the slot at the advanced rx_index'}; TCP RetransSegs +${retrans}, RTOs +${bothDelta(v, 'tcpTimeouts')}; stream at ${v.stream.received}/${v.stream.sent} B${v.stream.doneAt < 0 ? ' (stalled in RTO backoff: each retransmission\'s DMA failed in turn)' : ', done'}`,
              };
            },
          },
        }
      : {}),
  });
}

function rxExhaust(partial: boolean): Scenario {
  const n = partial ? 60 : 100;
  return stream(`rx-exhaust-${partial ? 'partial' : 'total'}`, 'RX buffer exhaustion', partial ? `the next ${n} RX buffer allocations on rc fail (60 of 100 buffers lost)` : `the next ${n} RX buffer allocations on rc fail (every buffer lost: the queue stalls until ntb0 is reset at +250 ms)`, {
    ...(partial ? {} : { bytes: 12_000_000 }),
    steps: partial ? [faultStep(0, { kind: 'rx-exhaust', board: 'rc', count: n })] : [faultStep(0, { kind: 'rx-exhaust', board: 'rc', count: n }), { at: 250 * MS, run: (lab, notes) => notes.set('stalled', stalledFor(lab, 'rc')) }, faultStep(250 * MS, { kind: 'reset', board: 'rc' })],
    healAtNs: partial ? 0 : 250 * MS,
    resumeBoundNs: partial ? 20 * MS : 700 * MS + ARP_REPROBE_NS,
    account: (v) => {
      const fifo = counterDelta(v, 'rc', 'rxFifoErrors');
      if (fifo !== n || counterDelta(v, 'rc', 'rxErrors') !== n) return `ntb0 rx_fifo_errors +${fifo}, rx_errors +${counterDelta(v, 'rc', 'rxErrors')}, expected +${n} each`;
      if (!partial && (v.notes.get('stalled') ?? 0) === 0) return 'the RX queue did not stall with every buffer lost';
      if (partial && bothDelta(v, 'retransSegs') !== 0) return `TCP retransmitted ${bothDelta(v, 'retransSegs')} segments with buffers left`;
      return resetLoss(v);
    },
    accountDetail: (v) => `ntb0 rx_fifo_errors +${counterDelta(v, 'rc', 'rxFifoErrors')} (one per lost buffer)${partial ? '' : `, qp rx_err_no_buf ${v.notes.get('stalled') ?? 0} while stalled`}`,
  });
}

function stalledFor(lab: Lab, board: BoardName): number {
  return (lab.boards[board].transport()?.qps ?? []).reduce((n, q) => n + q.stats.rxErrNoBuf, 0);
}

function hwLink(): Scenario {
  return stream('hw-link-loss', 'hardware link loss', 'PCIe link lost for 30 ms mid-transfer, then recovered', {
    steps: [faultStep(0, { kind: 'link', up: false }), faultStep(30 * MS, { kind: 'link', up: true })],
    healAtNs: 30 * MS,
    resumeBoundNs: 1500 * MS + ARP_REPROBE_NS,
    carrierDuringFault: 'off',
    account: linkLoss,
    accountDetail: linkLossDetail,
  });
}

/**
 * The same loss as mainline sees it: nobody is told. ntb_hw_epf has no link-change path, vNTB
 * changes link_status only on commands, and the host's link_is_up reads bit 0 of the all-ones
 * LINK_STATUS as up, so both transports and carriers stay up. The frames written while the link
 * was down never landed, and ntb_transport never rewrites a slot its peer has not freed: the
 * receiver waits at the first lost slot forever (a weakness of the EPF NTB: no surprise-down
 * handling), until the host's module reload at +300 ms makes both ends renegotiate.
 */
function hwLinkSilent(): Scenario {
  const reloadAt = 300 * MS;
  return stream('hw-link-loss-silent', 'hardware link loss', `PCIe link lost for 30 ms mid-transfer, unnoticed (no link event: mainline ntb_hw_epf and vNTB), then recovered; the host reloads ntb_netdev and ntb_transport at +${reloadAt / MS} ms`, {
    steps: [
      faultStep(0, { kind: 'link', up: false, silent: true }),
      faultStep(30 * MS, { kind: 'link', up: true }),
      {
        at: reloadAt,
        run: (lab, notes) => {
          notes.set('carrierKept', lab.boards.rc.netdev()?.ndev.netifCarrierOk() === true && lab.boards.ep.netdev()?.ndev.netifCarrierOk() === true ? 1 : 0);
          notes.set('wedged', lostFrameDiagnosis(lab) === '' ? 0 : 1);
          wedgeWhy.set(lab, lostFrameDiagnosis(lab));
        },
      },
      faultStep(reloadAt, { kind: 'reload', board: 'rc' }),
    ],
    healAtNs: reloadAt,
    resumeBoundNs: 1500 * MS + ARP_REPROBE_NS,
    carrierDuringFault: 'on',
    account: (v) => linkLoss(v) ?? resetLoss(v),
    accountDetail: (v) => `${linkLossDetail(v)}; ${staleRefusedDetail(v.after.rc.rxErrVer + v.after.ep.rxErrVer)}`,
    weakness: {
      expect: 'shown',
      observed: (v: AccountingView) => {
        const wedged = v.notes.get('wedged') === 1;
        const carrier = v.notes.get('carrierKept') === 1 ? 'carrier stayed on on both boards' : 'a carrier went off';
        return { shown: wedged, detail: wedged ? `${carrier}; ${reloadAt / MS} ms after the loss the stream was wedged${wedgeWhy.get(v.lab) ?? ''}; the host's reload renegotiated both ends` : `${carrier}; the stream was not wedged ${reloadAt / MS} ms after the loss` };
      },
    },
  });
}

/** Each silent-loss lab's wedge explanation, taken just before the reload clears it. */
const wedgeWhy = new WeakMap<Lab, string>();

/**
 * `ip link set ntb0 mtu 9000` on the EP alone while its stream loads the ring to the RC.
 * ntb_netdev_change_mtu runs ntb_transport_link_down (a LINK_DOWN queued behind the frames the
 * RC has not read yet, then ntb_qp_link_down_reset: every RC slot counted free) and at once
 * ntb_transport_link_up; the EP's QP link work finds the QP_LINKS bit the RC wrote long ago
 * still set and comes up in the same instant. Its new session then overwrites the RC's unread
 * slots, the LINK_DOWN among them, so the RC never resets its QP and stops for good at a `ver`
 * it does not expect (rx_err_ver); or, the other way, the EP's RX takes frames the RC wrote
 * into it before it read the LINK_DOWN as if they were the new session's. A race (the RC may read
 * the LINK_DOWN first, as it does with seeds 5 to 8), and a kernel weakness with no fix to compare against: waiting for the peer's cleanup before linking again needs
 * both sides to agree who waits (a change on both boards would otherwise wait forever).
 */
function mtuOneBoard(): Scenario {
  return stream('mtu-ep', 'MTU changes under load', "ip link set ntb0 mtu 9000 on the EP alone, 100 ms into its stream (the RC's ring loaded)", {
    bytes: 16_000_000,
    faultAfterNs: 100 * MS,
    steps: [{ at: 0, run: (lab) => runLabLine(lab, 'ep', 'ip link set ntb0 mtu 9000') }],
    healAtNs: 0,
    resumeBoundNs: 700 * MS + ARP_REPROBE_NS,
    account: resetLoss,
    accountDetail: resetDetail,
    weakness: {
      expect: 'shown',
      wedges: true,
      race: true,
      observed: (v: AccountingView) => {
        const why = relinkOverrunDiagnosis(v.lab, 'ep') || staleDiagnosis(v.lab);
        return { shown: why !== '', detail: why === '' ? `the RC read the LINK_DOWN and reset its QP before the EP came back up; stream at ${v.stream.received} B` : `the stream wedged at ${v.stream.received} B${why}` };
      },
    },
  });
}

/** Every scenario, in matrix order. */
export function faultScenarios(): Scenario[] {
  return [hwLink(), hwLinkSilent(), qpLink('rc'), qpLink('rc', 'keep-arp'), qpLink('ep'), qpLink('ep', 'clear-ring'), reset('rc'), reset('ep'), reset('ep', true), reload('rc'), reload('ep'), wc(false), wc(true), dropDoorbells(), dropMsis(), spurious(), spuriousLinkEvent(false), spuriousLinkEvent(true), channelsAtOnce(false), channelsAtOnce(true), dmaShrink(false), dmaShrink(true), dmaError('rc'), dmaError('rc', true), dmaError('ep'), rxExhaust(true), rxExhaust(false), mtuOneBoard(), ...stormScenarios()];
}
