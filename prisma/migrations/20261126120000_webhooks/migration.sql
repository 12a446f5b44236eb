-- Webhook delivery (issue 5): asymmetric signatures per endpoint, manual
-- redelivery rounds, the indexes the delivery list and the recovery sweep
-- read, and the server's Ed25519 webhook-signing keys.

ALTER TABLE "webhook_endpoints" ADD COLUMN "asymmetric_signature" BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE "webhook_deliveries" ADD COLUMN "round" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_idx" ON "webhook_deliveries"("endpoint_id", "created_at" DESC);
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

CREATE TABLE "webhook_signing_keys" (
    "kid" VARCHAR(64) NOT NULL,
    "public_key" BYTEA NOT NULL,
    "private_key_encrypted" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_signing_keys_pkey" PRIMARY KEY ("kid")
);
