/** Polls `check` every 25 ms until it holds; fails after `timeoutMs` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until every outbox event has been handled: the queues have drained for this database. */
export async function outboxDrained(
  prisma: { $queryRaw: (q: TemplateStringsArray) => Promise<{ n: number }[]> },
  timeoutMs = 15_000,
): Promise<void> {
  await until(
    async () => (await prisma.$queryRaw`SELECT count(*)::int AS n FROM outbox_events WHERE processed_at IS NULL`)[0].n === 0,
    'outbox drained',
    timeoutMs,
  );
}
