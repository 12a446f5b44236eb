import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { AlertCloseReason, AlertStatus, IndicatorType, MatchKind, Verdict } from '@app/database';
import { Connection } from '@app/common';
import '../graphql-enums.js';

@ObjectType({ description: 'How other holders of the token judged their own alerts (counts only).' })
export class VerdictCounts {
  @Field(() => Int, { description: 'Other members that marked it CONFIRMED_ABUSE.' })
  confirmedAbuse: number;

  @Field(() => Int, { description: 'Other members that marked it FALSE_POSITIVE.' })
  falsePositive: number;

  @Field(() => Int, { description: 'Other members that marked it UNDER_REVIEW.' })
  underReview: number;
}

@ObjectType({
  description: 'A match as one member sees it: its own token and reference, and only counts (and disclosed names) about the other holders.',
})
export class Alert {
  @Field(() => ID, { description: 'Alert id, visible only to its member.' })
  id: string;

  @Field(() => AlertStatus, { description: 'OPEN while the match holds for this member.' })
  status: AlertStatus;

  @Field(() => Int, { description: 'Increases with every change; receivers order events by it.' })
  version: number;

  @Field(() => IndicatorType, { description: 'Type of the matched token.' })
  type: IndicatorType;

  @Field({ description: 'Key epoch of the matched token.' })
  keyEpoch: string;

  @Field({
    description:
      'The matched token (64 hex), as this member submitted it; for SIMILAR alerts, the digest of its own signature (SHA-256 over its 32 band tokens).',
  })
  token: string;

  @Field(() => String, { nullable: true, description: "This member's own externalRef for the token, if it gave one and still holds it." })
  externalRef: string | null;

  @Field(() => Int, { description: 'How many other members hold the token (as of the last change).' })
  otherHolderCount: number;

  @Field({ description: 'When any holder first reported the token, to the hour (UTC).' })
  firstSeenAt: Date;

  @Field({ description: 'When any holder last reported the token, to the hour (UTC).' })
  lastSeenAt: Date;

  @Field(() => [String], { description: 'Names of other current holders that chose discloseIdentity; the rest stay anonymous.' })
  disclosedHolders: string[];

  @Field(() => VerdictCounts, { description: "Other holders' verdicts on the same match, as counts." })
  verdictCounts: VerdictCounts;

  @Field(() => Verdict, { nullable: true, description: "This member's own verdict (acknowledgeAlert)." })
  verdict: Verdict | null;

  @Field(() => String, { nullable: true, description: "This member's own note with its verdict." })
  verdictNote: string | null;

  @Field(() => Date, { nullable: true, description: 'When this member last acknowledged the alert.' })
  acknowledgedAt: Date | null;

  @Field(() => MatchKind, {
    description:
      'EXACT: other members hold the same token. SIMILAR: other members hold template signatures similar to this one (docs/similar-templates.md).',
  })
  matchKind: MatchKind;

  @Field(() => Float, {
    nullable: true,
    description:
      "SIMILAR alerts: the estimated Jaccard similarity of the templates, (shared bands / 32)^(1/4) for the other member's signature that shares the most; null for EXACT alerts.",
  })
  similarity: number | null;

  @Field({ description: 'When this alert was created, to the hour (UTC).' })
  createdAt: Date;

  @Field({ description: 'When this alert last changed, to the hour (UTC).' })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the alert closed, if it is CLOSED; to the hour (UTC).' })
  closedAt: Date | null;

  @Field(() => AlertCloseReason, {
    nullable: true,
    description: 'Why the alert closed, if it is CLOSED (null for alerts closed before reasons were kept).',
  })
  closeReason: AlertCloseReason | null;

  @Field(() => String, {
    nullable: true,
    description: 'The UTC day (YYYY-MM-DD) on which any active holder, you included, last reported the token; day precision only.',
  })
  lastObservedOn: string | null;

  @Field(() => Int, {
    description:
      'Triage priority, higher first: holders, confirmations, false positives, confidence and freshness (docs/indicators-and-alerts.md#priority). Falls by one each UTC day the token is not observed.',
  })
  priority: number;
}

@ObjectType({ description: 'A page of alerts, newest first.' })
export class AlertConnection extends Connection(Alert) {}
