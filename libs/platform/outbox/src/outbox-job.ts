/** What an events-queue job carries: the outbox row, the consumer that runs it, the payload. */
export interface OutboxJob {
  outboxId: string;
  consumer: string;
  payload: unknown;
}

/** The job id of one consumer's run of one outbox row: a row relayed twice while its job exists runs once. */
export function outboxJobId(outboxId: bigint | string, consumer: string): string {
  return `outbox-${outboxId}-${consumer}`;
}
