/**
 * Several base URLs serving one model (replicas behind no load balancer):
 * requests go round-robin over the replicas that are up. A replica whose try
 * failed at the connection or server level (refused, dropped, timed out, 5xx)
 * is marked down and skipped for a cool-down (1 s, doubling per failure up to
 * 30 s); when it has passed, the replica is probed (`GET {base}/models`, one
 * probe at a time) and takes requests again once the probe answers. When every
 * replica is down the one that comes back first is used anyway, so requests
 * still fail and retry the usual way instead of waiting here.
 *
 * Hand-written: undici's BalancedPool balances by weight but neither skips a
 * dead upstream nor probes it back.
 */

export interface Replica {
  /** Base URL, e.g. `http://10.0.0.2:8000/v1`. */
  readonly base: string;
  /** `{base}/chat/completions` */
  readonly url: string;
  /** Its origin (`http://host:port`) and path (`/v1/chat/completions`), as undici's dispatch takes them. */
  readonly origin: string;
  readonly path: string;
  /** Down until this time (ms); 0 when up. */
  downUntil: number;
  cooldownMs: number;
  probing: boolean;
}

export interface ReplicaOptions {
  /** Asks a replica whether it is back (resolves true when it answered). */
  probe: (replica: Replica) => Promise<boolean>;
  now?: () => number;
  minCooldownMs?: number;
  maxCooldownMs?: number;
}

export class ReplicaSet {
  readonly replicas: Replica[];
  private next = 0;
  private readonly now: () => number;
  private readonly min: number;
  private readonly max: number;

  constructor(
    bases: readonly string[],
    private readonly options: ReplicaOptions,
  ) {
    this.replicas = bases.map((base) => ({
      base,
      url: `${base}/chat/completions`,
      ...splitBase(base),
      downUntil: 0,
      cooldownMs: 0,
      probing: false,
    }));
    this.now = options.now ?? Date.now;
    this.min = options.minCooldownMs ?? 1000;
    this.max = options.maxCooldownMs ?? 30_000;
  }

  /** The replica for the next try. */
  pick(): Replica {
    const all = this.replicas;
    if (all.length === 1) return all[0]!;
    const t = this.now();
    for (let k = 0; k < all.length; k++) {
      const r = all[(this.next + k) % all.length]!;
      if (r.downUntil === 0) {
        this.next = (this.next + k + 1) % all.length;
        return r;
      }
      if (t >= r.downUntil && !r.probing) this.probe(r);
    }
    // every replica is down: the one back first
    return all.reduce((a, b) => (b.downUntil < a.downUntil ? b : a));
  }

  /** Whether some replica other than `r` is up (a failed try then goes there without a backoff). */
  otherUp(r: Replica): boolean {
    return this.replicas.some((x) => x !== r && x.downUntil === 0);
  }

  /** A try on `r` failed at the connection or server level: skip it for its cool-down. */
  failed(r: Replica): void {
    if (this.replicas.length === 1) return;
    r.cooldownMs = Math.min(this.max, r.cooldownMs === 0 ? this.min : r.cooldownMs * 2);
    r.downUntil = this.now() + r.cooldownMs;
  }

  /** A try on `r` was answered: it is up. */
  answered(r: Replica): void {
    if (r.downUntil === 0 && r.cooldownMs === 0) return;
    r.downUntil = 0;
    r.cooldownMs = 0;
  }

  private probe(r: Replica): void {
    r.probing = true;
    this.options.probe(r).then(
      (up) => {
        r.probing = false;
        if (up) this.answered(r);
        else this.failed(r);
      },
      () => {
        r.probing = false;
        this.failed(r);
      },
    );
  }
}

/** `http://host:port/v1` as undici's origin and the completions path (`/v1/chat/completions`). */
function splitBase(base: string): { origin: string; path: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)(\/[^?#]*)?$/i.exec(base);
  return { origin: m?.[1] ?? base, path: `${m?.[2] ?? ''}/chat/completions` };
}
