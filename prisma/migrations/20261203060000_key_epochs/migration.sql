-- Key epochs as server objects (issue 14). An epoch is either HMAC (tokens
-- are HMAC-SHA256 under the federation key alone, as before) or TWO_KEY
-- (tokens also need the server's OPRF key: RFC 9497 POPRF,
-- ristretto255-SHA512). A TWO_KEY epoch's secret scalar is stored only sealed
-- under the data key (AES-256-GCM, context `oprf-key:<label>`), like the
-- signing keys; its public key is published through oprfKeys.
CREATE TYPE "KeyEpochScheme" AS ENUM ('HMAC', 'TWO_KEY');

CREATE TABLE "key_epochs" (
    "label" VARCHAR(32) NOT NULL,
    "scheme" "KeyEpochScheme" NOT NULL,
    "suite" VARCHAR(64),
    "mode" VARCHAR(16),
    "public_key" BYTEA,
    "secret_key_encrypted" BYTEA,
    "not_before" TIMESTAMPTZ(6) NOT NULL,
    "not_after" TIMESTAMPTZ(6) NOT NULL,
    "retired_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "key_epochs_pkey" PRIMARY KEY ("label"),
    CONSTRAINT "key_epochs_label_check" CHECK ("label" ~ '^[a-z0-9][a-z0-9._-]{0,31}$'),
    CONSTRAINT "key_epochs_window_check" CHECK ("not_after" > "not_before"),
    CONSTRAINT "key_epochs_keys_check" CHECK (
        ("scheme" = 'TWO_KEY') = ("suite" IS NOT NULL AND "mode" IS NOT NULL
                                  AND "public_key" IS NOT NULL AND "secret_key_encrypted" IS NOT NULL)
    )
);

-- The API reads epochs to evaluate and to check submitted epochs; only the
-- operator's CLI (the owner) creates or retires them. The worker needs none.
GRANT SELECT ON key_epochs TO sigfed_api;
