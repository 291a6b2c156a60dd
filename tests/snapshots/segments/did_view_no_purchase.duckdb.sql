SELECT DISTINCT
  *
FROM (
  SELECT
    "t17"."one_id"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t12"."profile" AS "one_id",
        "t7"."occurred_at" AS "at",
        CAST(NULL AS DECIMAL(38, 10)) AS "value"
      FROM (
        SELECT
          *
        FROM "events" AS "t0"
        WHERE
          "t0"."occurred_at" <= MAKE_TIMESTAMPTZ(2026, 3, 18, 2, 0, 0.0, 'UTC')
          AND COALESCE("t0"."type" = 'product_view', FALSE)
      ) AS "t7"
      INNER JOIN (
        SELECT
          "t5"."unit",
          "t5"."profile"
        FROM (
          SELECT
            "t2"."one_id" AS "unit",
            COALESCE("t2"."merged_into", "t2"."one_id") AS "profile"
          FROM "customers" AS "t2"
        ) AS "t5"
        SEMI JOIN (
          SELECT
            *
          FROM "customers" AS "t2"
          WHERE
            "t2"."merged_into" IS NULL
            AND (
              (
                "t2"."status" IS NULL
              ) OR (
                "t2"."status" <> 'merged'
              )
            )
        ) AS "t8"
          ON "t5"."profile" = "t8"."one_id"
      ) AS "t12"
        ON "t7"."one_id" = "t12"."unit"
    ) AS "t13"
    WHERE
      "t13"."at" >= MAKE_TIMESTAMPTZ(2026, 3, 11, 16, 0, 0.0, 'UTC')
      AND "t13"."at" < MAKE_TIMESTAMPTZ(2026, 3, 18, 16, 0, 0.0, 'UTC')
      AND "t13"."at" <= MAKE_TIMESTAMPTZ(2026, 3, 16, 2, 0, 0.0, 'UTC')
  ) AS "t17"
  ANTI JOIN (
    SELECT
      "t14"."one_id" AS "follower",
      "t14"."at" AS "then"
    FROM (
      SELECT
        "t12"."profile" AS "one_id",
        "t10"."occurred_at" AS "at",
        CAST("t10"."amount_fen" AS DECIMAL(38, 10)) AS "value"
      FROM (
        SELECT
          *
        FROM "transactions" AS "t1"
        WHERE
          "t1"."occurred_at" <= MAKE_TIMESTAMPTZ(2026, 3, 18, 2, 0, 0.0, 'UTC')
          AND COALESCE(TRUE AND COALESCE("t1"."txn_type" IN ('wealth_purchase'), FALSE), FALSE)
      ) AS "t10"
      INNER JOIN (
        SELECT
          "t5"."unit",
          "t5"."profile"
        FROM (
          SELECT
            "t2"."one_id" AS "unit",
            COALESCE("t2"."merged_into", "t2"."one_id") AS "profile"
          FROM "customers" AS "t2"
        ) AS "t5"
        SEMI JOIN (
          SELECT
            *
          FROM "customers" AS "t2"
          WHERE
            "t2"."merged_into" IS NULL
            AND (
              (
                "t2"."status" IS NULL
              ) OR (
                "t2"."status" <> 'merged'
              )
            )
        ) AS "t8"
          ON "t5"."profile" = "t8"."one_id"
      ) AS "t12"
        ON "t10"."one_id" = "t12"."unit"
    ) AS "t14"
    WHERE
      "t14"."at" > MAKE_TIMESTAMPTZ(2026, 3, 11, 16, 0, 0.0, 'UTC')
  ) AS "t18"
    ON "t17"."one_id" = "t18"."follower"
    AND "t18"."then" > "t17"."at"
    AND "t18"."then" <= (
      "t17"."at" + INTERVAL '48' HOUR
    )
) AS "t19"
