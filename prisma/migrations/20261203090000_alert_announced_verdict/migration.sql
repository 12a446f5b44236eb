-- The verdict the other holders of an alert's match were last told about.
-- Verdicts given before this migration count as told: nothing is re-announced.
ALTER TABLE "alerts" ADD COLUMN "announced_verdict" "Verdict";
UPDATE "alerts" SET "announced_verdict" = "verdict" WHERE "verdict" IS NOT NULL;
