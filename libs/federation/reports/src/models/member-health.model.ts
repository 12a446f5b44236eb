import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: "One member's health as operators see it: activity, webhooks, keys and what needs attention (admins only)." })
export class MemberHealth {
  @Field(() => ID, { description: 'The member id.' })
  memberId: string;

  @Field(() => Date, { nullable: true, description: 'When the member last called submitIndicators; null if it never did.' })
  lastSubmissionAt: Date | null;

  @Field(() => Float, { description: 'Indicators the member holds now (not expired, not retracted).' })
  indicatorsHeld: number;

  @Field(() => Int, { description: 'Webhook endpoints the member has.' })
  webhookEndpoints: number;

  @Field(() => Int, { description: 'Of those, endpoints disabled (by the member, or by the server after failing too long).' })
  disabledWebhookEndpoints: number;

  @Field(() => Int, { description: 'Webhook deliveries created in the last 24 hours.' })
  deliveriesLastDay: number;

  @Field(() => Float, {
    description: 'Share of the last 24 hours of deliveries that failed or are retrying after a failed attempt (0 when there were none).',
  })
  webhookFailureRate: number;

  @Field(() => Date, { nullable: true, description: 'Creation time of the oldest delivery not yet delivered; null when all are.' })
  oldestUndeliveredAt: Date | null;

  @Field(() => Date, { nullable: true, description: "The most recent use of any of the member's keys at the token endpoint." })
  keyLastUsedAt: Date | null;

  @Field(() => [String], {
    description:
      'Why the member needs attention, most urgent first (empty when it does not): `silent` (active, nothing submitted for 7 days), ' +
      '`failing_receiver` (a disabled endpoint, failures or an undelivered event older than an hour), `key_unused` (an active key unused for ' +
      '90 days), `probing_throttled`.',
  })
  attention: string[];
}
