SELECT DISTINCT
  "t16"."one_id"
FROM (
  SELECT
    "t6"."one_id",
    "t15"."one_id" AS "one_id_right",
    "t15"."result",
    "t15"."counted"
  FROM (
    SELECT
      "t0"."one_id"
    FROM "customers" AS "t0"
    WHERE
      "t0"."merged_into" IS NULL
      AND (
        (
          "t0"."status" IS NULL
        ) OR (
          "t0"."status" <> 'merged'
        )
      )
  ) AS "t6"
  LEFT OUTER JOIN (
    SELECT
      "t13"."one_id",
      SUM("t13"."value") AS "result",
      COUNT("t13"."value") AS "counted"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t11"."profile" AS "one_id",
          "t9"."occurred_at" AS "at",
          CAST("t9"."amount_fen" AS DECIMAL(38, 10)) AS "value"
        FROM (
          SELECT
            *
          FROM "transactions" AS "t1"
          WHERE
            "t1"."occurred_at" <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMPTZ)
            AND COALESCE(TRUE AND COALESCE("t1"."txn_type" IN ('card_spend'), FALSE), FALSE)
        ) AS "t9"
        INNER JOIN (
          SELECT
            "t3"."unit",
            "t3"."profile"
          FROM (
            SELECT
              "t0"."one_id" AS "unit",
              COALESCE("t0"."merged_into", "t0"."one_id") AS "profile"
            FROM "customers" AS "t0"
          ) AS "t3"
          WHERE
            EXISTS(
              SELECT
                1
              FROM (
                SELECT
                  *
                FROM "customers" AS "t0"
                WHERE
                  "t0"."merged_into" IS NULL
                  AND (
                    (
                      "t0"."status" IS NULL
                    ) OR (
                      "t0"."status" <> 'merged'
                    )
                  )
              ) AS "t7"
              WHERE
                "t3"."profile" = "t7"."one_id"
            )
        ) AS "t11"
          ON "t9"."one_id" = "t11"."unit"
      ) AS "t12"
      WHERE
        "t12"."at" >= CAST('2026-02-16T16:00:00+00:00' AS TIMESTAMPTZ)
        AND "t12"."at" < CAST('2026-03-18T16:00:00+00:00' AS TIMESTAMPTZ)
    ) AS "t13"
    GROUP BY
      1
  ) AS "t15"
    ON "t6"."one_id" = "t15"."one_id"
) AS "t16"
WHERE
  COALESCE(
    (
      CASE
        WHEN COALESCE("t16"."counted", 0) > 0
        THEN "t16"."result"
        ELSE CAST(NULL AS DECIMAL(38, 10))
      END IS NOT NULL
    )
    AND (
      CASE
        WHEN COALESCE("t16"."counted", 0) > 0
        THEN "t16"."result"
        ELSE CAST(NULL AS DECIMAL(38, 10))
      END = (
        CAST('1500.5' AS DECIMAL(11, 1)) * CAST("t16"."counted" AS DECIMAL(10, 0))
      )
    ),
    FALSE
  )
