import { AuthError } from '@app/auth';
import type { StreamSocket } from './graphql-ws.options.js';
import { refusalOf } from './socket-close.js';

/**
 * What a member's live subscriptions share, alertEvents and campaignEvents
 * alike: the queue the GraphQL layer iterates, and the re-check of the
 * connection's token before sending. Subclasses decide what to queue.
 */
export abstract class MemberStreamListener<T> implements AsyncIterableIterator<T> {
  private readonly backlog: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private lastCheck = Date.now();

  constructor(
    readonly memberId: string,
    private readonly token: string,
    private readonly socket: StreamSocket,
    private readonly verify: (token: string) => Promise<unknown>,
    private readonly onEnd: (listener: MemberStreamListener<T>) => void,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (this.backlog.length) {
      const value = this.backlog.shift()!;
      this.taken(this.backlog.length);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Ends the subscription and closes its connection with `code`. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.end();
    this.socket.close(code, reason);
  }

  /** Ends the subscription, leaving the connection open (the client unsubscribed, or the server stops). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.backlog.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onEnd(this);
  }

  protected get isEnded(): boolean {
    return this.ended;
  }

  /** Values not yet taken by the consumer. */
  protected get queued(): number {
    return this.backlog.length;
  }

  /** The consumer took a value; `left` are still queued. */
  protected taken(left: number): void {
    void left;
  }

  /** Hands a value to the waiting consumer, or queues it. */
  protected push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else {
      this.backlog.push(value);
    }
  }

  /** Whether the token still holds (checked at most every `maxAgeMs`); a refused one closes the connection with the refusal's code. */
  protected async stillAllowed(maxAgeMs: number): Promise<boolean> {
    if (this.ended) return false;
    if (Date.now() - this.lastCheck < maxAgeMs) return true;
    this.lastCheck = Date.now();
    try {
      await this.verify(this.token);
      return true;
    } catch (error) {
      if (!(error instanceof AuthError)) return true; // a database hiccup is not a reason to drop the client
      const { code, reason } = refusalOf(error);
      this.close(code, reason);
      return false;
    }
  }
}
