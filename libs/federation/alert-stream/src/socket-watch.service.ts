import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AccessTokenService, AuthError, MemberStateCache, type VerifiedClaims } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { RedisService } from '@app/redis';
import type { StreamSocket } from './graphql-ws.options.js';
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, refusalOf, TOKEN_EXPIRED, type SocketRefusal } from './socket-close.js';

/** How often the change counters of the members with open connections are read (one MGET for all of them). */
export const SOCKET_WATCH_INTERVAL_MS = 500;
/** Change counters read per MGET. */
const EPOCH_BATCH = 1_000;
/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** `ws`'s WebSocket.OPEN. */
const OPEN = 1;

/** One admitted connection: the claims it was admitted with, and the member's change counter when last checked. */
interface Session {
  socket: StreamSocket;
  claims: VerifiedClaims;
  /** undefined: it could not be read (Redis unavailable). */
  epoch: string | null | undefined;
  checkedAt: number;
  expiry: NodeJS.Timeout;
}

/**
 * Keeps every graphql-ws connection of this API process as allowed as its
 * token and member are: a connection is admitted only with a valid token of
 * an active member and unrevoked key, closes (4401) at its token's `exp`, and
 * closes (4403) once its member is suspended or its key revoked. Changes made
 * through the API bump the member's change counter (MemberStateCache), read
 * for all watched members every SOCKET_WATCH_INTERVAL_MS in one MGET: only a
 * member whose counter moved is checked against the database, so a change
 * closes the member's connections within a second. Changes made around the
 * API (SQL, the CLI) are caught by a database check of each connection every
 * SUBSCRIPTION_RECHECK_SECONDS.
 */
@Injectable()
export class SocketWatchService implements OnModuleDestroy {
  private readonly logger = new Logger(SocketWatchService.name);
  private readonly sessions = new Map<StreamSocket, Session>();
  private readonly byMember = new Map<string, Set<Session>>();
  private ticker: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: AccessTokenService,
    private readonly redis: RedisService,
  ) {}

  /**
   * Checks a new connection's bearer token as the AuthGuard checks a
   * request's and watches the connection from then on; returns why it is
   * refused instead, if it is.
   */
  async admit(socket: StreamSocket, authorization: string | undefined): Promise<SocketRefusal | undefined> {
    if (!authorization) return { code: CLOSE_FORBIDDEN, reason: 'no bearer token in the connection init payload' };
    let claims: VerifiedClaims;
    let epoch: string | null | undefined;
    try {
      claims = await this.tokens.claimsOf(authorization.replace(/^Bearer /i, ''));
      // claimsOf tolerates the servers' clock skew; a connection closes at `exp` itself.
      if ((claims.exp as number) * 1000 <= Date.now()) return TOKEN_EXPIRED;
      epoch = await this.epochsOf([claims.sub]).then((epochs) => epochs.get(claims.sub));
      await this.tokens.admit(claims, epoch);
    } catch (error) {
      if (error instanceof AuthError) return refusalOf(error);
      throw error;
    }
    // The client may have gone while it was checked; graphql-ws then never reports the close.
    if (socket.readyState !== OPEN) return { code: CLOSE_UNAUTHORIZED, reason: 'connection closed while it was checked' };
    this.watch(socket, claims, epoch);
    return undefined;
  }

  /** Stops watching a connection that closed. */
  forget(socket: StreamSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    clearTimeout(session.expiry);
    this.sessions.delete(socket);
    const set = this.byMember.get(session.claims.sub);
    set?.delete(session);
    if (set?.size === 0) this.byMember.delete(session.claims.sub);
    if (this.sessions.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  onModuleDestroy(): void {
    for (const socket of [...this.sessions.keys()]) this.forget(socket);
  }

  private watch(socket: StreamSocket, claims: VerifiedClaims, epoch: string | null | undefined): void {
    const untilExpiry = Math.min(Math.max((claims.exp as number) * 1000 - Date.now(), 0), MAX_TIMER_MS);
    const session: Session = {
      socket,
      claims,
      epoch,
      checkedAt: Date.now(),
      expiry: setTimeout(() => this.close(session, TOKEN_EXPIRED), untilExpiry),
    };
    session.expiry.unref();
    this.sessions.set(socket, session);
    let set = this.byMember.get(claims.sub);
    if (!set) this.byMember.set(claims.sub, (set = new Set()));
    set.add(session);
    if (!this.ticker) {
      this.ticker = setInterval(() => void this.tick(), SOCKET_WATCH_INTERVAL_MS);
      this.ticker.unref();
    }
  }

  private close(session: Session, refusal: SocketRefusal): void {
    if (this.sessions.get(session.socket) !== session) return;
    this.forget(session.socket);
    session.socket.close(refusal.code, refusal.reason);
  }

  /** Checks the members whose counter moved, and every connection not checked in the database for SUBSCRIPTION_RECHECK_SECONDS. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const members = [...this.byMember.keys()];
      const epochs = await this.epochsOf(members);
      const recheckBefore = Date.now() - this.config.subscriptions.recheckSeconds * 1000;
      await Promise.all(
        members.map(async (memberId) => {
          const epoch = epochs.get(memberId);
          // One member's connections one after another: after the first, the same key's state comes from the cache.
          for (const session of [...(this.byMember.get(memberId) ?? [])]) {
            if (epoch !== undefined && epoch !== session.epoch) await this.check(session, epoch);
            else if (session.checkedAt < recheckBefore) await this.check(session, undefined);
          }
        }),
      );
    } catch (error) {
      this.logger.error(`socket watch: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Checks a session's member and key as stored now (`epoch` undefined: in the database, whatever the cache holds). */
  private async check(session: Session, epoch: string | null | undefined): Promise<void> {
    try {
      await this.tokens.admit(session.claims, epoch);
    } catch (error) {
      // A database hiccup is no reason to drop the client: the next tick checks again.
      if (error instanceof AuthError) this.close(session, refusalOf(error));
      return;
    }
    if (epoch !== undefined) session.epoch = epoch;
    session.checkedAt = Date.now();
  }

  /** The members' change counters; a member is missing when Redis did not answer. */
  private async epochsOf(memberIds: string[]): Promise<Map<string, string | null>> {
    const epochs = new Map<string, string | null>();
    for (let i = 0; i < memberIds.length; i += EPOCH_BATCH) {
      const batch = memberIds.slice(i, i + EPOCH_BATCH);
      const keys = batch.map((id) => MemberStateCache.epochKey(id));
      // Each member's counter has its own hash tag: a cluster cannot MGET across slots, so it gets one GET per key.
      const values = await (this.redis.isCluster ? Promise.all(keys.map((key) => this.redis.get(key))) : this.redis.mget(keys)).catch(
        () => undefined,
      );
      if (values) batch.forEach((id, j) => epochs.set(id, values[j]));
    }
    return epochs;
  }
}
