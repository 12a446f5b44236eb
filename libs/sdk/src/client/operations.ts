import type { IndicatorType } from '../types.js';

// The documents the client sends. Values always travel as variables, never as inline literals,
// so no input can change the shape of a query.

/** One hashed indicator as `submitIndicators` takes it (GraphQL `IndicatorInput`). */
export interface IndicatorInput {
  readonly type: IndicatorType;
  /** 64 lowercase hex characters (see `hashIndicator`). */
  readonly token: string;
  /** Label of the federation key epoch the token was derived under, e.g. `2026-q4`. */
  readonly keyEpoch: string;
  /** When the member saw it; the server defaults to now. ISO 8601 text or a Date. */
  readonly observedAt?: string | Date;
  /** When it stops counting; the server defaults to the type's lifetime. */
  readonly expiresAt?: string | Date;
  /** 0-100; the server defaults to 50. */
  readonly confidence?: number;
  /** The member's own reference, seen only by the member; at most 256 characters. */
  readonly externalRef?: string;
  /** Let other holders of a match see the member's name; default false. */
  readonly discloseIdentity?: boolean;
}

/** What one `submitIndicators` call (one batch) stored. */
export interface SubmissionResult {
  readonly submissionId: string;
  readonly accepted: number;
  readonly duplicates: number;
}

/** Stored by `submitIndicators`. */
export const SUBMIT_INDICATORS = /* GraphQL */ `
  mutation Submit($input: SubmitIndicatorsInput!) {
    submitIndicators(input: $input) {
      submissionId
      accepted
      duplicates
    }
  }
`;

/** One prompt template's keyed MinHash signature as `submitTemplateSignatures` takes it. */
export interface TemplateSignatureInput {
  /** Label of the federation key epoch the bands were derived under. */
  readonly keyEpoch: string;
  /** Exactly 32 band tokens, in band order (see `templateSignature`, or `TokenDeriver.templateSignature` for TWO_KEY epochs). */
  readonly bands: readonly string[];
  /** When the member saw the template; the server defaults to now. */
  readonly observedAt?: string | Date;
  /** When it stops counting; the server defaults to the PROMPT_TEMPLATE lifetime. */
  readonly expiresAt?: string | Date;
  /** 0-100; the server defaults to 50. */
  readonly confidence?: number;
  /** The member's own reference, seen only by the member (similar alerts point at it); at most 256 characters. */
  readonly externalRef?: string;
  /** Let the holders of a similar signature see the member's name; default false. */
  readonly discloseIdentity?: boolean;
}

/** The input of `submitTemplateSignatures`: stored all or nothing, like one `submitIndicators` batch. */
export interface SubmitTemplateSignaturesInput {
  /** 8-128 characters of A-Z a-z 0-9 . _ : -; the client draws a random one when left out. */
  readonly idempotencyKey?: string;
  readonly signatures: readonly TemplateSignatureInput[];
}

/** Stores template signatures. */
export const SUBMIT_TEMPLATE_SIGNATURES = /* GraphQL */ `
  mutation SubmitTemplateSignatures($input: SubmitTemplateSignaturesInput!) {
    submitTemplateSignatures(input: $input) {
      submissionId
      accepted
      duplicates
    }
  }
`;

/** Removes a member's own template signatures by their `externalRef`s (1 to 10,000). */
export const RETRACT_TEMPLATE_SIGNATURES = /* GraphQL */ `
  mutation RetractTemplateSignatures($input: RetractTemplateSignaturesInput!) {
    retractTemplateSignatures(input: $input) {
      retracted
    }
  }
`;

/** Tokens of one type and epoch the member no longer holds. */
export interface RetractIndicatorsInput {
  readonly type: IndicatorType;
  readonly keyEpoch: string;
  readonly tokens: readonly string[];
}

/** Removes a member's own records. */
export const RETRACT_INDICATORS = /* GraphQL */ `
  mutation Retract($input: RetractIndicatorsInput!) {
    retractIndicators(input: $input) {
      retracted
    }
  }
`;

/** Whether an alert is still open. */
export type AlertStatus = 'OPEN' | 'CLOSED';

/** Narrows `alerts`; every field is optional. */
export interface AlertFilter {
  readonly status?: AlertStatus;
  readonly type?: IndicatorType;
  /** Alerts updated at or after this instant. */
  readonly since?: string | Date;
}

/** Why an alert closed (docs/indicators-and-alerts.md). */
export type AlertCloseReason = 'NOT_MATCHED' | 'COMMON' | 'SUPPRESSED' | 'QUARANTINED' | 'KEY_EPOCH_RETIRED';

/** One alert: a token this member holds that other members hold too. */
export interface Alert {
  readonly id: string;
  readonly status: AlertStatus;
  readonly version: number;
  readonly type: IndicatorType;
  readonly keyEpoch: string;
  readonly token: string;
  readonly externalRef: string | null;
  readonly otherHolderCount: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly disclosedHolders: readonly string[];
  readonly verdictCounts: { readonly confirmedAbuse: number; readonly falsePositive: number; readonly underReview: number };
  readonly verdict: string | null;
  readonly verdictNote: string | null;
  readonly acknowledgedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly closeReason: AlertCloseReason | null;
  /** The UTC day (YYYY-MM-DD) any holder last reported the token. */
  readonly lastObservedOn: string | null;
  /** Triage priority, higher first. */
  readonly priority: number;
  /** EXACT (the same token) or SIMILAR (a template signature sharing enough band tokens). */
  readonly matchKind: 'EXACT' | 'SIMILAR';
  /** SIMILAR alerts: the estimated Jaccard similarity, (shared bands / 32)^(1/4); null for EXACT ones. */
  readonly similarity: number | null;
}

/** A page of a Relay connection. */
export interface Connection<T> {
  readonly edges: readonly { readonly cursor: string; readonly node: T }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

/** Every field of an Alert, as the SDK's Alert type has them: the selection set of each operation that returns alerts. */
export const ALERT_FIELDS = `id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt disclosedHolders
  verdictCounts { confirmedAbuse falsePositive underReview } verdict verdictNote acknowledgedAt createdAt updatedAt closedAt
  closeReason lastObservedOn priority matchKind similarity`;

/** Pages through the member's alerts. */
export const ALERTS = /* GraphQL */ `
  query Alerts($first: Int, $after: String, $filter: AlertFilter, $orderBy: AlertOrder) {
    alerts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      edges {
        cursor
        node {
          ${ALERT_FIELDS}
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

/** Facts about the server that need no token. */
export interface ServerInfo {
  /** The `aud` client assertions must carry. */
  readonly issuer: string;
  /** Server time, to check clock skew (assertions live only 60 s). */
  readonly time: string;
}

/** Reads `serverInfo`, without a token. */
export const SERVER_INFO = /* GraphQL */ `
  query ServerInfo {
    serverInfo {
      issuer
      time
    }
  }
`;

/** Where an epoch's key is in its life (`oprfKeys`). */
export type OprfKeyStatus = 'UPCOMING' | 'ACTIVE' | 'RETIRING' | 'RETIRED';

/** The published key of one TWO_KEY epoch. */
export interface OprfKey {
  readonly keyEpoch: string;
  /** `ristretto255-SHA512`. */
  readonly suite: string;
  /** `POPRF`. */
  readonly mode: string;
  /** Unpadded base64url of RFC 9497 SerializeElement(pkS). */
  readonly publicKey: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly status: OprfKeyStatus;
}

/** Lists the TWO_KEY epochs and their public keys. */
export const OPRF_KEYS = /* GraphQL */ `
  query OprfKeys {
    oprfKeys {
      keyEpoch
      suite
      mode
      publicKey
      notBefore
      notAfter
      status
    }
  }
`;

/** One batch of blinded HMACs for the server's half of the POPRF. */
export interface EvaluateBlindedInput {
  readonly keyEpoch: string;
  readonly type: IndicatorType;
  /** Unpadded base64url elements; at most the server's OPRF_MAX_ELEMENTS_PER_CALL (default 256). */
  readonly blindedElements: readonly string[];
}

/** The server's evaluation of one batch and its batched DLEQ proof. */
export interface EvaluateBlindedResult {
  readonly keyEpoch: string;
  readonly evaluatedElements: readonly string[];
  readonly proof: string;
}

/** Evaluates blinded elements under a TWO_KEY epoch's key. */
export const EVALUATE_BLINDED = /* GraphQL */ `
  mutation EvaluateBlinded($input: EvaluateBlindedInput!) {
    evaluateBlinded(input: $input) {
      keyEpoch
      evaluatedElements
      proof
    }
  }
`;
