/**
 * The sender's RTT estimator (net/ipv4/tcp_input.c `tcp_rtt_estimator`, RFC 6298 with Linux's
 * refinements): srtt in µs × 8, mdev in µs × 4, and rttvar that follows the largest mdev of the
 * last window (mdev_max) but never drops below the RTO floor, so RTO = srtt + rttvar is at
 * least tcp_rto_min above the smoothed RTT. Also the minimum RTT seen (a lifetime minimum
 * instead of Linux's 5-minute windowed one).
 */

/** RTT state of one connection (the tcp_sock srtt_us/mdev_us/mdev_max_us/rttvar_us/rtt_seq fields). */
export class RttEstimator {
  /** Smoothed RTT × 8 (µs), srtt_us; 0 before the first sample. */
  srttUs = 0;
  /** Mean deviation × 4 (µs), mdev_us. */
  mdevUs = 0;
  /** Largest mdev of the current window (µs), mdev_max_us. */
  mdevMaxUs = 0;
  /** RTT variance used for the RTO (µs), rttvar_us. */
  rttvarUs = 0;
  /** snd_nxt when the current mdev window started, rtt_seq. */
  rttSeq = 0;
  /** Smallest RTT sample (µs), 0 before any. */
  minRttUs = 0;

  /** An estimator whose rttvar never drops below `rtoMinUs` (tcp_rto_min, µs). */
  constructor(readonly rtoMinUs: number) {}

  /** Smoothed RTT (µs). */
  get srtt(): number {
    return Math.floor(this.srttUs / 8);
  }

  /** Feed one sample `mrttUs` (µs) taken when snd_una was `sndUna` and snd_nxt `sndNxt` (tcp_rtt_estimator). */
  sample(mrttUs: number, sndUna: number, sndNxt: number): void {
    let m = mrttUs;
    let srtt = this.srttUs;
    if (srtt !== 0) {
      m -= Math.floor(srtt / 8);
      srtt += m;
      if (m < 0) {
        m = -m;
        m -= Math.floor(this.mdevUs / 4);
        if (m > 0) m = Math.floor(m / 8);
      } else {
        m -= Math.floor(this.mdevUs / 4);
      }
      this.mdevUs += m;
      if (this.mdevUs > this.mdevMaxUs) {
        this.mdevMaxUs = this.mdevUs;
        if (this.mdevMaxUs > this.rttvarUs) this.rttvarUs = this.mdevMaxUs;
      }
      if (sndUna > this.rttSeq) {
        if (this.mdevMaxUs < this.rttvarUs) this.rttvarUs -= Math.floor((this.rttvarUs - this.mdevMaxUs) / 4);
        this.rttSeq = sndNxt;
        this.mdevMaxUs = this.rtoMinUs;
      }
    } else {
      srtt = m * 8;
      this.mdevUs = m * 2;
      this.rttvarUs = Math.max(this.mdevUs, this.rtoMinUs);
      this.mdevMaxUs = this.rttvarUs;
      this.rttSeq = sndNxt;
    }
    this.srttUs = Math.max(1, srtt);
  }

  /** Track the minimum RTT with a congestion-control sample (µs), tcp_update_rtt_min. */
  updateMin(us: number): void {
    if (this.minRttUs === 0 || us < this.minRttUs) this.minRttUs = Math.max(1, us);
  }

  /** The RTO this estimate gives (µs): srtt + rttvar (__tcp_set_rto). */
  rtoUs(): number {
    return Math.floor(this.srttUs / 8) + this.rttvarUs;
  }
}
