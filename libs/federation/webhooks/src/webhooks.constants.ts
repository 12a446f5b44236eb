/** Most endpoints one member may register. */
export const MAX_ENDPOINTS_PER_MEMBER = 20;
/** Bytes of a receiver's response body read before the connection is dropped. */
export const RESPONSE_BODY_CAP_BYTES = 2_048;
/** A Retry-After longer than this is shortened to it. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
/** Share of each scheduled delay randomized either way, so retries of many deliveries spread out. */
export const RETRY_JITTER = 0.2;
/** Overdue deliveries the recovery sweep examines per pass. */
export const RECOVERY_BATCH = 500;
/** Attempt rows shown per delivery in `webhookDeliveries`, newest first. */
export const ATTEMPTS_SHOWN = 20;
/** User-Agent of every delivery. */
export const USER_AGENT = 'Sigfed-Webhooks/1 (+https://www.standardwebhooks.com/)';
