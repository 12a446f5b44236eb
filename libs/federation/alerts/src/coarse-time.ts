const HOUR_MS = 3_600_000;

/**
 * `time` truncated to the hour (UTC): how precisely a member may learn when
 * another member's activity (a submission, a retraction, a verdict) changed
 * its alert. The SQL views truncate the same way (`date_trunc('hour', t, 'UTC')`).
 */
export function toHour(time: Date): Date {
  return new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);
}
