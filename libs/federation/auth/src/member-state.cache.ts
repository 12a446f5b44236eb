import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { PrismaService, queryRows } from '@app/database';
import { RedisService } from '@app/redis';
import { memberState, type MemberState } from './auth.sql.js';

export type { MemberState };

/**
 * How long a remembered state may be used at most, whatever Redis says: the
 * bound for changes made outside the API (SQL by an operator, a CLI command),
 * which do not announce themselves.
 */
export const MEMBER_STATE_MAX_AGE_MS = 5_000;
/** Members (x keys) remembered per API process; the oldest is dropped beyond it. */
const MAX_ENTRIES = 10_000;

interface Entry {
  state: MemberState | null;
  /** The member's change counter when the state was read (null: never changed). */
  epoch: string | null;
  readAt: number;
}

/**
 * The member/key check every authenticated request makes, without a
 * database query per request. Each API process remembers the state it read
 * last per (member, key), with the member's change counter in Redis at that
 * time; the services that suspend, reinstate, revoke keys or change quotas
 * increment the counter after their commit and before they answer (`changed`).
 * A request reads the counter in the same Redis call as its rate-limit charge
 * and uses the remembered state only when the counter has not moved (and the
 * state is younger than MEMBER_STATE_MAX_AGE_MS): a suspension or revocation
 * made through the API takes effect from the next request on, in every API
 * process. When the counter could not be read (Redis unavailable), the state
 * is read from the database, as before this cache.
 */
@Injectable()
export class MemberStateCache {
  private readonly logger = new Logger(MemberStateCache.name);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  /**
   * The Redis key (under the process's prefix) of the member's change
   * counter, hash-tagged by member: the request budget's script reads it
   * with `q:{memberId}` (one cluster slot).
   */
  static epochKey(memberId: string): string {
    return `member-epoch:{${memberId}}`;
  }

  /**
   * The state of `memberId` and its key `kid`, or null if that key is not the
   * member's. `epoch` is the member's counter as read for this request
   * (undefined when it could not be read: the database then answers).
   */
  async lookup(memberId: string, kid: string, epoch: string | null | undefined): Promise<MemberState | null> {
    const key = `${memberId}|${kid}`;
    const now = Date.now();
    const known = this.entries.get(key);
    if (known && epoch !== undefined && known.epoch === epoch && now - known.readAt < MEMBER_STATE_MAX_AGE_MS) return known.state;
    const state = await this.read(memberId, kid);
    if (epoch !== undefined) {
      this.entries.delete(key);
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, { state, epoch, readAt: now });
    }
    return state;
  }

  /**
   * Announces that `memberId`'s status, role, keys or quota changed; call it
   * after the change committed and before answering. Should Redis not answer,
   * the change reaches every process within MEMBER_STATE_MAX_AGE_MS.
   */
  async changed(memberId: string): Promise<void> {
    try {
      await this.redis.incr(MemberStateCache.epochKey(memberId));
    } catch (error) {
      this.logger.warn(
        `could not announce a change of member ${memberId} (${(error as Error).message}); other API processes see it within ${MEMBER_STATE_MAX_AGE_MS} ms`,
      );
    }
  }

  private async read(memberId: string, kid: string): Promise<MemberState | null> {
    const [row] = await queryRows(this.prisma, memberState, [memberId, kid]);
    return row ?? null;
  }
}

/**
 * Provides MemberStateCache to every module of the API process, so the
 * services that change members can announce it. Processes without it (the
 * CLI) inject it as optional and have nothing to announce to.
 */
@Global()
@Module({ providers: [MemberStateCache], exports: [MemberStateCache] })
export class MemberStateModule {}
