/**
 * Which TrackLog each tracked vehicle writes to. A vehicle hidden behind another, or lost for a few
 * frames the plugin did not get, comes back as a new track, sometimes while the tracker still
 * coasts the old one. Judged afresh, an overtaker that reappears in the oncoming lane would look
 * like a wrong-way driver, and a motorbike that swerves out and back would cross its line twice as
 * two vehicles. So the log of a moving vehicle that is lost is offered to the OcclusionStitcher, and
 * a new track that starts where that vehicle would be by now carries its log (and the rules' state
 * for it) on. Logs have ids of their own, so the rules' state outlives the track that began it.
 *
 * Across frames the plugin did not get, two tracks can also swap vehicles: a track whose step is
 * one no vehicle makes (`jumped`) has moved onto another vehicle. If that vehicle's log is on offer
 * the track carries it on, and offers the log it leaves for its own vehicle's next track; if not,
 * the log starts afresh where it is (keeping the rules that fired: it may be the same vehicle).
 */
import { OcclusionStitcher, type Vehicle } from '../sdk/index.js';
import { TrackLog } from './lanes.js';

/** Updates a track not yet confirmed must have been followed for before its log is offered. */
const MIN_SAMPLES = 2;
/**
 * How long a log stays on offer, ms. The tracks split by frames the plugin did not get are apart for
 * well under a second; the further a log is carried, the likelier it lands on another vehicle.
 */
const KEEP_MS = 1200;

/** An offered log, and the vehicle whose track still holds it (lost, not removed), if any. */
interface Offer {
  log: TrackLog;
  holder?: number;
}

/** The logs by vehicle id, handed over from hidden vehicles to the tracks that continue them. */
export class TrackLogs {
  readonly #byVehicle = new Map<number, TrackLog>();
  readonly #offers = new Map<number, Offer>();
  readonly #stitcher = new OcclusionStitcher(KEEP_MS);
  #nextId = 1;

  /**
   * @param forget drops the rules' state for a log id that no track will write to again.
   * @param jumped whether the step from the log's last sample to ground point g at time t (ms) is one no vehicle makes.
   * @param road unit ground vector along the road.
   */
  constructor(
    private readonly forget: (logId: number) => void,
    private readonly jumped: (log: TrackLog, g: readonly number[], t: number) => boolean,
    private readonly road: readonly [number, number],
  ) {}

  /** The log of vehicle `v`, seen at ground point `g` at time `t` (ms): its own, a hidden vehicle's it continues, or a new one. */
  of(v: Vehicle, g: readonly number[], t: number): TrackLog {
    const own = this.#byVehicle.get(v.id);
    // Found again before anyone took it over: it is its own vehicle still.
    if (own && this.#offers.delete(own.id)) this.#stitcher.withdraw(own.id);
    if (own && !(own.samples.length > 0 && this.jumped(own, g, t))) return own;
    const hidden = this.#stitcher.takeOver(t, [g[0]!, g[1]!]);
    const offer = hidden && this.#offers.get(hidden.id);
    if (!offer) {
      if (!own) return this.#hold(v.id, new TrackLog(this.#nextId++));
      own.restart();
      this.forget(own.id);
      return own;
    }
    this.#offers.delete(offer.log.id);
    // A lost track that turns up again later starts a log of its own.
    if (offer.holder !== undefined) this.#byVehicle.delete(offer.holder);
    if (own && !this.#tryOffer(own, undefined, undefined)) this.forget(own.id);
    return this.#hold(v.id, offer.log);
  }

  /**
   * After the tracker's update, before `of`: offers the logs of moving vehicles it missed or removed
   * (confirmed, or followed for MIN_SAMPLES updates: a young track lost across dropped frames is
   * removed before it is confirmed), and drops the removed vehicles' logs.
   */
  update(live: readonly Vehicle[], removed: readonly number[], t: number): void {
    for (const v of live) {
      const log = this.#byVehicle.get(v.id);
      if (v.missed > 0 && log && (v.confirmed || log.samples.length >= MIN_SAMPLES)) this.#tryOffer(log, v.velocity, v.id);
    }
    for (const id of removed) {
      const log = this.#byVehicle.get(id);
      if (!log) continue;
      this.#byVehicle.delete(id);
      if (log.samples.length >= MIN_SAMPLES) this.#tryOffer(log, undefined, undefined);
      const offer = this.#offers.get(log.id);
      if (offer) delete offer.holder;
      else this.forget(log.id);
    }
    // Offers no track took over in time: forgotten once no track holds them either.
    for (const [id, offer] of this.#offers) {
      if (t - offer.log.last.t <= this.#stitcher.keepMs) continue;
      this.#offers.delete(id);
      if (offer.holder === undefined) this.forget(id);
    }
  }

  #hold(vehicleId: number, log: TrackLog): TrackLog {
    this.#byVehicle.set(vehicleId, log);
    return log;
  }

  /**
   * Offers the log (once) at its last sample with the tracker's velocity, else the log's own; whether
   * it is on offer. Its sideways part counts half: a vehicle hidden while it changes lane may stop at
   * the next lane's centre (where the tracker's velocity, which lags, is still sideways) or carry on
   * across, and half is within the stitcher's half-lane bound of either for the second it is hidden.
   */
  #tryOffer(log: TrackLog, tracked: { vx: number; vz: number } | undefined, holder: number | undefined): boolean {
    if (this.#offers.has(log.id)) return true;
    const last = log.samples.at(-1);
    const v = tracked ?? (log.velocity ? { vx: log.velocity[0], vz: log.velocity[1] } : drift(log));
    if (!last || !v) return false;
    const [dx, dz] = this.road;
    const along = v.vx * dx + v.vz * dz;
    const velocity = { vx: (v.vx + along * dx) / 2, vz: (v.vz + along * dz) / 2 };
    this.#stitcher.ended({ id: log.id, t: last.t, foot: last.foot, ground: last.g, velocity });
    this.#offers.set(log.id, holder === undefined ? { log } : { log, holder });
    return true;
  }
}

/**
 * Ground velocity (m/s) over the log's samples, for a track too young for the tracker to give one:
 * a vehicle can be lost a few updates after it appears. Undefined under 2 samples 0.2 s apart.
 */
function drift(log: TrackLog): { vx: number; vz: number } | undefined {
  const a = log.samples[0];
  const b = log.samples.at(-1);
  if (!a || !b || b.t - a.t < 200) return undefined;
  const dt = (b.t - a.t) / 1000;
  return { vx: (b.g[0] - a.g[0]) / dt, vz: (b.g[1] - a.g[1]) / dt };
}
