SELECT DISTINCT
  "t16"."one_id"
FROM (
  SELECT
    "t6"."one_id",
    "t15"."one_id" AS "one_id_right",
    "t15"."result"
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
      COUNT(*) AS "result"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t9"."profile" AS "one_id",
          "t11"."occurred_at" AS "at",
          CAST(NULL AS DECIMAL(38, 10)) AS "value"
        FROM (
          SELECT
            *
          FROM "events" AS "t1"
          WHERE
            "t1"."occurred_at" <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMPTZ)
            AND COALESCE(
              (
                "t1"."type" = 'product_view'
              )
              AND COALESCE(
                (
                  CASE
                    WHEN CASE
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) IS NULL
                      THEN CAST(NULL AS VARCHAR)
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'string'
                      THEN 'string'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'number'
                      THEN 'number'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'boolean'
                      THEN 'boolean'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'null'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'product_code')
                    ELSE CAST(NULL AS VARCHAR)
                  END IS NOT NULL
                )
                AND (
                  CONVERT_TO(
                    CASE
                      WHEN CASE
                        WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) IS NULL
                        THEN CAST(NULL AS VARCHAR)
                        WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'string'
                        THEN 'string'
                        WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'number'
                        THEN 'number'
                        WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'boolean'
                        THEN 'boolean'
                        WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'product_code')) = 'null'
                        THEN 'null'
                        ELSE 'other'
                      END = 'string'
                      THEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'product_code')
                      ELSE CAST(NULL AS VARCHAR)
                    END,
                    'UTF8'
                  ) = CONVERT_TO('WM-CASH', 'UTF8')
                ),
                FALSE
              )
              AND COALESCE(
                (
                  CASE
                    WHEN CASE
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) IS NULL
                      THEN CAST(NULL AS VARCHAR)
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'string'
                      THEN 'string'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'number'
                      THEN 'number'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'boolean'
                      THEN 'boolean'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'null'
                      THEN 'null'
                      ELSE 'other'
                    END = 'number'
                    THEN CASE
                      WHEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds') ~ '^-?([0-9]{1,27}(\.[0-9]+)?|[0-9](\.[0-9]+)?[eE](-[0-9]{1,3}|\+?(1?[0-9]|2[0-6])))$'
                      THEN CAST(JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds') AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    WHEN CASE
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) IS NULL
                      THEN CAST(NULL AS VARCHAR)
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'string'
                      THEN 'string'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'number'
                      THEN 'number'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'boolean'
                      THEN 'boolean'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'null'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN CASE
                      WHEN TRIM(' 	
' FROM JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds')) ~ '^-?[0-9]{1,27}(\.[0-9]+)?$'
                      THEN CAST(TRIM(' 	
' FROM JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds')) AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    ELSE CAST(NULL AS DECIMAL(38, 10))
                  END IS NOT NULL
                )
                AND (
                  CASE
                    WHEN CASE
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) IS NULL
                      THEN CAST(NULL AS VARCHAR)
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'string'
                      THEN 'string'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'number'
                      THEN 'number'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'boolean'
                      THEN 'boolean'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'null'
                      THEN 'null'
                      ELSE 'other'
                    END = 'number'
                    THEN CASE
                      WHEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds') ~ '^-?([0-9]{1,27}(\.[0-9]+)?|[0-9](\.[0-9]+)?[eE](-[0-9]{1,3}|\+?(1?[0-9]|2[0-6])))$'
                      THEN CAST(JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds') AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    WHEN CASE
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) IS NULL
                      THEN CAST(NULL AS VARCHAR)
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'string'
                      THEN 'string'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'number'
                      THEN 'number'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'boolean'
                      THEN 'boolean'
                      WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."properties" AS JSON), 'seconds')) = 'null'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN CASE
                      WHEN TRIM(' 	
' FROM JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds')) ~ '^-?[0-9]{1,27}(\.[0-9]+)?$'
                      THEN CAST(TRIM(' 	
' FROM JSON_EXTRACT_PATH_TEXT(CAST("t1"."properties" AS JSON), 'seconds')) AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    ELSE CAST(NULL AS DECIMAL(38, 10))
                  END >= CAST('60.0000000000' AS DECIMAL(38, 10))
                ),
                FALSE
              ),
              FALSE
            )
        ) AS "t11"
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
        ) AS "t9"
          ON "t11"."one_id" = "t9"."unit"
      ) AS "t12"
      WHERE
        "t12"."at" >= CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMPTZ)
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
      COALESCE("t16"."result", 0) IS NOT NULL
    )
    AND (
      COALESCE("t16"."result", 0) >= CAST('1.0000000000' AS DECIMAL(38, 10))
    ),
    FALSE
  )
