/** The GraphQL documents the console sends: the public API's own operations (schema.gql), nothing console-only. */

export const ALERT_FIELDS = `id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt disclosedHolders
  verdictCounts { confirmedAbuse falsePositive underReview } verdict verdictNote acknowledgedAt createdAt updatedAt closedAt
  priority closeReason lastObservedOn matchKind similarity`;

export interface Alert {
  id: string;
  status: 'OPEN' | 'CLOSED';
  version: number;
  type: string;
  keyEpoch: string;
  token: string;
  externalRef: string | null;
  otherHolderCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  disclosedHolders: string[];
  verdictCounts: { confirmedAbuse: number; falsePositive: number; underReview: number };
  verdict: string | null;
  verdictNote: string | null;
  acknowledgedAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  priority: number;
  closeReason: string | null;
  lastObservedOn: string | null;
  matchKind: 'EXACT' | 'SIMILAR';
  similarity: number | null;
}

export interface MemberKey {
  kid: string;
  alg: string;
  status: 'ACTIVE' | 'REVOKED';
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface Member {
  id: string;
  clientId: string;
  name: string;
  contactEmail: string | null;
  role: 'ADMIN' | 'MEMBER';
  status: 'INVITED' | 'ACTIVE' | 'SUSPENDED';
  indicatorsPerHour: number | null;
  suspendedAt: string | null;
  suspendedReason: string | null;
  createdAt: string;
  keys: MemberKey[];
}

const KEY_FIELDS = 'kid alg status createdAt revokedAt lastUsedAt';
const MEMBER_FIELDS = `id clientId name contactEmail role status indicatorsPerHour suspendedAt suspendedReason createdAt keys { ${KEY_FIELDS} }`;

export const ME = `{ me { ${MEMBER_FIELDS} } }`;

export const ALERTS = `query Alerts($first: Int, $after: String, $filter: AlertFilter, $orderBy: AlertOrder) {
  alerts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { edges { node { ${ALERT_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export const ACKNOWLEDGE = `mutation Ack($id: ID!, $verdict: Verdict!, $note: String) {
  acknowledgeAlert(id: $id, verdict: $verdict, note: $note) { ${ALERT_FIELDS} }
}`;

const ENDPOINT_FIELDS =
  'id url description eventTypes status asymmetricSignature failingSince disabledAt disabledReason previousSecretExpiresAt createdAt updatedAt';
export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: 'ENABLED' | 'DISABLED';
  asymmetricSignature: boolean;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}
export const ENDPOINTS = `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`;
export const CREATE_ENDPOINT = `mutation Create($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
export const ROTATE_SECRET = `mutation Rotate($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
export const UPDATE_ENDPOINT = `mutation Update($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { ${ENDPOINT_FIELDS} } }`;
export const DELETE_ENDPOINT = `mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }`;

const DELIVERY_FIELDS =
  'id endpointId eventId eventType status attemptCount body createdAt completedAt lastAttemptAt nextAttemptAt attempts { attemptedAt statusCode latencyMs responseBody error }';
export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  body: string;
  createdAt: string;
  completedAt: string | null;
  nextAttemptAt: string | null;
  attempts: {
    attemptedAt: string;
    statusCode: number | null;
    latencyMs: number | null;
    responseBody: string | null;
    error: string | null;
  }[];
}
export const DELIVERIES = `query Deliveries($endpointId: ID!) {
  webhookDeliveries(endpointId: $endpointId, first: 50) { edges { node { ${DELIVERY_FIELDS} } } }
}`;
export const SEND_TEST = `mutation Test($id: ID!) { sendTestWebhook(endpointId: $id) { ${DELIVERY_FIELDS} } }`;
export const REDELIVER = `mutation Redeliver($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY_FIELDS} } }`;

export const ADD_KEY = `mutation AddKey($jwk: JSONObject!) { addMemberKey(publicJwk: $jwk) { ${KEY_FIELDS} } }`;
export const REVOKE_KEY = `mutation RevokeKey($kid: String!) { revokeMemberKey(kid: $kid) { ${KEY_FIELDS} } }`;

// ----------------------------------------------------------------- admins
export const MEMBERS = `query Members($after: String) {
  members(first: 100, after: $after) { edges { node { ${MEMBER_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export interface Health {
  memberId: string;
  lastSubmissionAt: string | null;
  indicatorsHeld: number;
  webhookEndpoints: number;
  disabledWebhookEndpoints: number;
  deliveriesLastDay: number;
  webhookFailureRate: number;
  oldestUndeliveredAt: string | null;
  keyLastUsedAt: string | null;
  attention: string[];
}
export interface Activity {
  memberId: string;
  submissions: number;
  indicators: number;
  probing: boolean;
  throttled: boolean;
  throttleReason: string | null;
}
export const HEALTH = `{
  memberHealth { memberId lastSubmissionAt indicatorsHeld webhookEndpoints disabledWebhookEndpoints deliveriesLastDay webhookFailureRate oldestUndeliveredAt keyLastUsedAt attention }
  memberActivity(windowHours: 24) { memberId submissions indicators probing throttled throttleReason }
}`;
export const SUSPEND = `mutation Suspend($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { id status } }`;
export const REINSTATE = `mutation Reinstate($id: ID!) { reinstateMember(id: $id) { id status } }`;
export const SET_QUOTA = `mutation Quota($id: ID!, $perHour: Int) { setSubmissionQuota(memberId: $id, indicatorsPerHour: $perHour) { id indicatorsPerHour } }`;
export const LIFT_THROTTLE = `mutation Lift($id: ID!, $reason: String!) { liftProbingThrottle(memberId: $id, reason: $reason) { memberId throttled } }`;

export interface Invitation {
  id: string;
  organizationName: string;
  contactEmail: string;
  clientId: string;
  memberId: string;
  expiresAt: string;
  acceptedAt: string | null;
  withdrawnAt: string | null;
}
const INVITATION_FIELDS = 'id organizationName contactEmail clientId memberId expiresAt acceptedAt withdrawnAt';
export const CREATE_INVITATION = `mutation Invite($input: CreateInvitationInput!) { createInvitation(input: $input) { invitationToken invitation { ${INVITATION_FIELDS} } } }`;
export const WITHDRAW_INVITATION = `mutation Withdraw($id: ID!) { withdrawInvitation(invitationId: $id) { ${INVITATION_FIELDS} } }`;

export interface Suppressed {
  type: string;
  keyEpoch: string;
  token: string;
  reason: string;
  createdAt: string;
}
export const SUPPRESSED = `{ suppressedTokens(first: 100) { edges { node { type keyEpoch token reason createdAt } } } }`;
export const SUPPRESS = `mutation Suppress($input: SuppressTokenInput!) { suppressToken(input: $input) { type keyEpoch token reason createdAt } }`;
export const UNSUPPRESS = `mutation Unsuppress($input: UnsuppressTokenInput!) { unsuppressToken(input: $input) }`;

export interface Quarantined {
  type: string;
  keyEpoch: string;
  token: string;
  falsePositives: number;
  confirmations: number;
  quarantinedAt: string;
}
export const QUARANTINED = `query Quarantined($after: String) {
  quarantinedTokens(first: 100, after: $after) { edges { node { type keyEpoch token falsePositives confirmations quarantinedAt } } pageInfo { hasNextPage endCursor } }
}`;
export const RELEASE_QUARANTINE = `mutation Release($input: ReleaseQuarantineInput!) { releaseQuarantine(input: $input) }`;

export interface AuditEntry {
  id: string;
  occurredAt: string;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  hash: string;
}
export const AUDIT_LOG = `query Audit($action: String) {
  auditLog(first: 50, action: $action) { edges { node { id occurredAt actorLabel action targetType targetId details hash } } }
}`;
export const CHECKPOINT = `mutation { createAuditCheckpoint { id headId headHash entryCount kid signedAt } }`;

export interface Figure {
  value: number | null;
  withheldReason: string | null;
}
export interface Report {
  from: string;
  to: string;
  minMembers: number;
  byType: { type: string; indicators: Figure; matches: Figure }[];
  medianSecondsToFirstMatch: Figure;
  alerts: Figure;
  confirmedShare: Figure;
  falsePositiveShare: Figure;
  common: Figure;
  suppressed: number;
  activeMembers: Figure;
  disclosedMembers: { memberId: string; name: string; indicators: number; matched: number }[];
}
const FIGURE = '{ value withheldReason }';
export const REPORT = `query Report($from: DateTime!, $to: DateTime!) {
  federationReport(from: $from, to: $to) {
    from to minMembers byType { type indicators ${FIGURE} matches ${FIGURE} }
    medianSecondsToFirstMatch ${FIGURE} alerts ${FIGURE} confirmedShare ${FIGURE} falsePositiveShare ${FIGURE}
    common ${FIGURE} suppressed activeMembers ${FIGURE} disclosedMembers { memberId name indicators matched }
  }
}`;

// -------------------------------------------------------------- campaigns
export interface Campaign {
  id: string;
  status: 'ACTIVE' | 'CLOSED';
  version: number;
  memberCount: number;
  bundleCount: number;
  ownBundles: { bundleRef: string; directMatch: boolean }[];
  linkingTokens: { type: string; keyEpoch: string; token: string }[];
  tokenCounts: { type: string; count: number }[];
  firstSeenAt: string;
  lastSeenAt: string;
  disclosedMembers: string[];
}
const CAMPAIGN_FIELDS = `id status version memberCount bundleCount ownBundles { bundleRef directMatch }
  linkingTokens { type keyEpoch token } tokenCounts { type count } firstSeenAt lastSeenAt disclosedMembers`;
export const CAMPAIGNS = `query Campaigns($after: String, $filter: CampaignFilter) {
  campaigns(first: 100, after: $after, filter: $filter) { edges { node { ${CAMPAIGN_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export const CAMPAIGN = `query Campaign($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
