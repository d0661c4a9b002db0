/**
 * Test helpers: the captured iperf3 samples (reference/samples) and TestResult builders that
 * feed the samples' numbers into the reporters.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IntervalSample, StreamResult, TestResult } from '../../../src/tools/iperf3/results.js';

const SAMPLES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The text of a sample file. */
export function sample(name: string): string {
  return readFileSync(SAMPLES + name, 'utf8');
}

/** A stream with neutral defaults. */
export function stream(over: Partial<StreamResult> & Pick<StreamResult, 'socket' | 'sender'>): StreamResult {
  return {
    localHost: '127.0.0.1',
    localPort: 40000,
    remoteHost: '127.0.0.1',
    remotePort: 5201,
    intervals: [],
    bytesSent: 0,
    bytesReceived: 0,
    endTime: 0,
    peerTime: 0,
    retransmits: 0,
    maxSndCwnd: 0,
    maxSndWnd: 0,
    maxRtt: 0,
    minRtt: 0,
    meanRtt: 0,
    packetCount: 0,
    peerPacketCount: 0,
    cntError: 0,
    outOfOrder: 0,
    jitter: 0,
    omittedCounts: { packets: 0, errors: 0, outOfOrder: 0 },
    ...over,
  };
}

/** An interval sample with neutral defaults. */
export function iv(start: number, end: number, bytes: number, extra: Partial<IntervalSample> = {}): IntervalSample {
  return { start, end, bytes, omitted: false, tcp: null, udp: null, atNs: 0, ...extra };
}

/** A client test result with neutral defaults. */
export function test(over: Partial<TestResult> & Pick<TestResult, 'streams' | 'protocol' | 'mode'>): TestResult {
  return {
    role: 'c',
    reverse: false,
    numStreams: over.streams.filter((s) => s.sender === over.streams[0]?.sender).length,
    interval: 1,
    unitFormat: 'a',
    senderHasRetransmits: over.protocol === 'TCP' && over.mode !== 'receiver',
    summarySenderHasRetransmits: over.protocol === 'TCP',
    otherSideHasRetransmits: false,
    omitting: false,
    start: {
      version: 'iperf 3.12',
      systemInfo: 'Linux host 6.18.0 #1 SMP PREEMPT_DYNAMIC x86_64',
      timesecs: 0,
      peerHost: '127.0.0.1',
      peerPort: 5201,
      cookie: '',
      tcpMssDefault: 0,
      tcpMss: 0,
      targetBitrate: 0,
      tos: 0,
      sockBufs: [],
      blksize: 0,
      omit: 0,
      duration: 0,
      bytes: 0,
      blocks: 0,
    },
    cpu: { hostTotal: 0, hostUser: 0, hostSystem: 0, remoteTotal: 0, remoteUser: 0, remoteSystem: 0 },
    senderCongestion: null,
    receiverCongestion: null,
    title: null,
    clock: { streamsNs: 0, startedNs: 0, reportNs: 0 },
    serverOutput: null,
    ...over,
  };
}
