import { Field, ID, ObjectType } from '@nestjs/graphql';
import { Connection, JSONObject, type JsonObject } from '@app/common';

@ObjectType({ description: 'One entry of the append-only, hash-chained audit log.' })
export class AuditEntry {
  @Field(() => ID, { description: 'Position in the log (increasing; gaps are normal).' })
  id: string;

  @Field({ description: 'When it happened.' })
  occurredAt: Date;

  @Field(() => ID, { nullable: true, description: 'The member that acted, when a member did.' })
  actorMemberId: string | null;

  @Field({ description: 'The acting member’s client id, or `cli` / `system`.' })
  actorLabel: string;

  @Field({ description: 'What happened, e.g. `member.suspended` (see docs/authentication.md for the list).' })
  action: string;

  @Field(() => String, { nullable: true, description: 'Kind of thing acted on, e.g. `member`, `member_key`.' })
  targetType: string | null;

  @Field(() => String, { nullable: true, description: 'Identifier of the thing acted on.' })
  targetId: string | null;

  @Field(() => String, { nullable: true, description: 'The X-Request-Id of the request that did it.' })
  requestId: string | null;

  @Field(() => JSONObject, { description: 'Further facts about the action.' })
  details: JsonObject;

  @Field({ description: 'SHA-256 (hex) over this entry’s content and `prevHash`.' })
  hash: string;

  @Field({ description: 'The `hash` of the entry before (64 zeros for the first entry).' })
  prevHash: string;
}

@ObjectType({ description: 'A page of the audit log, newest first.' })
export class AuditEntryConnection extends Connection(AuditEntry) {}
