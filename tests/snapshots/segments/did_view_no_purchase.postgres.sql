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
          "t0"."occurred_at" <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMPTZ)
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
        WHERE
          EXISTS(
            SELECT
              1
            FROM (
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
            WHERE
              "t5"."profile" = "t8"."one_id"
          )
      ) AS "t12"
        ON "t7"."one_id" = "t12"."unit"
    ) AS "t13"
    WHERE
      "t13"."at" >= CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMPTZ)
      AND "t13"."at" < CAST('2026-03-18T16:00:00+00:00' AS TIMESTAMPTZ)
      AND "t13"."at" <= CAST('2026-03-16T02:00:00+00:00' AS TIMESTAMPTZ)
  ) AS "t17"
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM (
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
              "t1"."occurred_at" <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMPTZ)
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
            WHERE
              EXISTS(
                SELECT
                  1
                FROM (
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
                WHERE
                  "t5"."profile" = "t8"."one_id"
              )
          ) AS "t12"
            ON "t10"."one_id" = "t12"."unit"
        ) AS "t14"
        WHERE
          "t14"."at" > CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMPTZ)
      ) AS "t18"
      WHERE
        "t17"."one_id" = "t18"."follower"
        AND "t18"."then" > "t17"."at"
        AND "t18"."then" <= (
          "t17"."at" + INTERVAL '48 HOUR'
        )
    )
) AS "t19"
