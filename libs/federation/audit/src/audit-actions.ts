/**
 * Every action the audit log records, in one place, so the log's vocabulary
 * stays reviewable; add new ones here and list them in the guide of the
 * feature that records them (docs/authentication.md lists the auth ones).
 */
export const AuditAction = {
  /** The first (or an additional) admin member was created by the CLI or on first start. */
  AdminBootstrapped: 'member.bootstrap_admin',
  /** An admin invited an organization; a member in status INVITED now exists. */
  InvitationCreated: 'invitation.created',
  /** An invitee registered its first key; the member became ACTIVE. */
  InvitationAccepted: 'invitation.accepted',
  /** An admin withdrew an invitation before it was accepted; its token is refused from then on. */
  InvitationWithdrawn: 'invitation.withdrawn',
  /** A member registered another public key. */
  MemberKeyAdded: 'member_key.added',
  /** A member key was revoked (by its member or an admin); its tokens stop working at once. */
  MemberKeyRevoked: 'member_key.revoked',
  /** An admin suspended a member; its tokens stop working at once. */
  MemberSuspended: 'member.suspended',
  /** An admin reinstated a suspended member. */
  MemberReinstated: 'member.reinstated',
  /** The server generated its first token-signing key. */
  SigningKeyCreated: 'signing_key.created',
  /** An admin asked for a signed checkpoint of the audit chain head (createAuditCheckpoint); the checkpoint covers this entry. */
  CheckpointRequested: 'audit.checkpoint_requested',
  /** An operator rotated the token-signing key. */
  SigningKeyRotated: 'signing_key.rotated',
  /** An admin set or cleared a member's hourly submission quota. */
  SubmissionQuotaSet: 'member.submission_quota_set',
  /** The submit path found a member probing (PROBING_MIN_INDICATORS, PROBING_MIN_NEW_SHARE) and throttled it. */
  ProbingThrottled: 'member.probing_throttled',
  /** An admin lifted a member's probing throttle; its normal quota applies again. */
  ProbingThrottleLifted: 'member.probing_throttle_lifted',
  /** An admin put a token on the suppression list (it never alerts). */
  TokenSuppressed: 'suppression.added',
  /** An admin took a token off the suppression list. */
  TokenUnsuppressed: 'suppression.removed',
  /** Members' FALSE_POSITIVE verdicts quarantined a token (QUARANTINE_MIN_FALSE_POSITIVES, outnumbering confirmations). */
  TokenQuarantined: 'quarantine.entered',
  /** An admin released a quarantined token (releaseQuarantine); with `suppress`, onto the suppression list. */
  QuarantineReleased: 'quarantine.released',
  /** A client id exceeded the failed-authentication threshold within a minute. */
  TokenFailureBurst: 'auth.token_failure_burst',
  /** A member registered a webhook endpoint. */
  WebhookEndpointCreated: 'webhook_endpoint.created',
  /** A member changed an endpoint's URL, description, event types, signing or enabled state. */
  WebhookEndpointUpdated: 'webhook_endpoint.updated',
  /** A member deleted a webhook endpoint (its deliveries go with it). */
  WebhookEndpointDeleted: 'webhook_endpoint.deleted',
  /** A member rotated an endpoint's signing secret; the old one signs too until the grace period ends. */
  WebhookSecretRotated: 'webhook_endpoint.secret_rotated',
  /** The server disabled an endpoint: 410 Gone, or failing continuously for too long. */
  WebhookEndpointDisabled: 'webhook_endpoint.disabled',
  /** An operator created a key epoch (create-key-epoch); a TWO_KEY one with a new sealed OPRF key. */
  KeyEpochCreated: 'key_epoch.created',
  /** An operator retired a key epoch (retire-key-epoch): it is no longer evaluated. */
  KeyEpochRetired: 'key_epoch.retired',
  /** A member's first OPRF evaluation of an hourly budget window: one entry per member per window, not per call. */
  OprfEvaluations: 'oprf.evaluations',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** Who acted: a member (by id, labelled with its client id), or the CLI or server. */
export interface AuditActor {
  memberId: string | null;
  label: string;
}

/** Actors that are not members. */
export const SYSTEM_ACTOR: AuditActor = { memberId: null, label: 'system' };
export const CLI_ACTOR: AuditActor = { memberId: null, label: 'cli' };

/** A member acting, labelled with its client id so entries read without a join. */
export function memberActor(member: { id: string; clientId: string }): AuditActor {
  return { memberId: member.id, label: member.clientId };
}
