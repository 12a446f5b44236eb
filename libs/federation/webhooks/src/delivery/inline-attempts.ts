import { memberSlotKey } from './slot-protocol.js';

/** What the limits need to know of a delivery. */
export interface InlineDelivery {
  endpointId: string;
  memberId: string;
}

/** How many inline attempts one process runs: in all, and to one endpoint or one member's endpoints. */
export interface InlineLimits {
  total: number;
  perEndpoint: number;
  perMember: number;
}

/**
 * The first attempts a worker runs itself right after binding them
 * (WebhookDispatchService): at most `total` at once, and no more to one
 * endpoint or one member than the fleet-wide slots allow, since one more
 * would only find its slot taken by this very process and go the long way,
 * through the queue and the slot's FIFO. Those wait here, in order, and
 * start as soon as an attempt to the same endpoint or member ends; they
 * still claim their slots (another process may hold some).
 */
export class InlineAttempts<D extends InlineDelivery> {
  private readonly running = new Set<Promise<void>>();
  private readonly inFlight = new Map<string, number>();
  private readonly waiting: D[] = [];

  /** `run` must not reject: it handles its own failures (by queueing the delivery's job). */
  constructor(
    private readonly limits: InlineLimits,
    private readonly run: (delivery: D) => Promise<void>,
  ) {}

  /** Takes the delivery, to start now or once its endpoint and member have room; false when `total` are taken. */
  offer(delivery: D): boolean {
    if (this.running.size + this.waiting.length >= this.limits.total) return false;
    if (this.fits(delivery)) this.start(delivery);
    else this.waiting.push(delivery);
    return true;
  }

  /** Waits until every delivery taken has run (worker shutdown). */
  async settle(): Promise<void> {
    // A delivery waits only while one to its endpoint or member runs, so the waiting ones have all run once none runs.
    while (this.running.size) await Promise.all([...this.running]);
  }

  private fits(delivery: D): boolean {
    return (
      (this.inFlight.get(delivery.endpointId) ?? 0) < this.limits.perEndpoint &&
      (this.inFlight.get(memberSlotKey(delivery.memberId)) ?? 0) < this.limits.perMember
    );
  }

  private start(delivery: D): void {
    const keys = [delivery.endpointId, memberSlotKey(delivery.memberId)];
    for (const key of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    const run = this.run(delivery).finally(() => {
      this.running.delete(run);
      for (const key of keys) {
        const left = (this.inFlight.get(key) ?? 1) - 1;
        if (left > 0) this.inFlight.set(key, left);
        else this.inFlight.delete(key);
      }
      this.startWaiting();
    });
    this.running.add(run);
  }

  private startWaiting(): void {
    for (let i = 0; i < this.waiting.length;) {
      if (this.fits(this.waiting[i])) this.start(this.waiting.splice(i, 1)[0]);
      else i++;
    }
  }
}
