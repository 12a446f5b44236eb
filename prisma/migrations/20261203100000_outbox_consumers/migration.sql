-- Each consumer of an event runs as its own job; a row is processed once every
-- consumer's job has finished. The consumers that have are listed here, so a
-- replay (OUTBOX_REDELIVER_AFTER_SECONDS) re-runs only the others. Nullable
-- as Prisma maps scalar lists; the code reads NULL as none.
ALTER TABLE outbox_events ADD COLUMN consumers_done text[] DEFAULT '{}';
