SELECT DISTINCT
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
      ) >= CAST('26.0000000000' AS DECIMAL(38, 10))
    )
    AND (
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
        ) <= CAST('36.0000000000' AS DECIMAL(38, 10))
      )
    ),
    FALSE
  )
