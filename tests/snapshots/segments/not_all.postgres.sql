WITH "t1" AS (
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
)
SELECT DISTINCT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "t1" AS "t3"
    EXCEPT
    SELECT
      *
    FROM (
      SELECT
        "t4"."one_id"
      FROM (
        SELECT
          *
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
        ) AS "t2"
        WHERE
          COALESCE(
            (
              "t2"."city" IS NOT NULL
            )
            AND (
              CONVERT_TO("t2"."city", 'UTF8') = CONVERT_TO('Shanghai', 'UTF8')
            ),
            FALSE
          )
      ) AS "t4"
    ) AS "t6"
  ) AS "t8"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "t1" AS "t3"
    EXCEPT
    SELECT
      *
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
        AND COALESCE(
          (
            (
              (
                2026 - EXTRACT(year FROM "t0"."birth_date")
              ) - CASE
                WHEN (
                  (
                    EXTRACT(month FROM "t0"."birth_date") * 100
                  ) + EXTRACT(day FROM "t0"."birth_date")
                ) > 318
                THEN 1
                ELSE 0
              END
            ) IS NOT NULL
          )
          AND (
            (
              (
                2026 - EXTRACT(year FROM "t0"."birth_date")
              ) - CASE
                WHEN (
                  (
                    EXTRACT(month FROM "t0"."birth_date") * 100
                  ) + EXTRACT(day FROM "t0"."birth_date")
                ) > 318
                THEN 1
                ELSE 0
              END
            ) > CAST('40.0000000000' AS DECIMAL(38, 10))
          ),
          FALSE
        )
    ) AS "t5"
  ) AS "t7"
) AS "t9"
