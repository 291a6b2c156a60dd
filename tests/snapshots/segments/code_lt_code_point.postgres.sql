SELECT DISTINCT
  "t2"."one_id"
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
  ) AS "t1"
  WHERE
    COALESCE(
      (
        CASE
          WHEN CASE
            WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) IS NULL
            THEN CAST(NULL AS VARCHAR)
            WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'string'
            THEN 'string'
            WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'number'
            THEN 'number'
            WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'boolean'
            THEN 'boolean'
            WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'null'
            THEN 'null'
            ELSE 'other'
          END = 'string'
          THEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."attributes" AS JSON), 'code')
          ELSE CAST(NULL AS VARCHAR)
        END IS NOT NULL
      )
      AND (
        CONVERT_TO(
          CASE
            WHEN CASE
              WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) IS NULL
              THEN CAST(NULL AS VARCHAR)
              WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'string'
              THEN 'string'
              WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'number'
              THEN 'number'
              WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'boolean'
              THEN 'boolean'
              WHEN JSON_TYPEOF(JSON_EXTRACT_PATH(CAST("t1"."attributes" AS JSON), 'code')) = 'null'
              THEN 'null'
              ELSE 'other'
            END = 'string'
            THEN JSON_EXTRACT_PATH_TEXT(CAST("t1"."attributes" AS JSON), 'code')
            ELSE CAST(NULL AS VARCHAR)
          END,
          'UTF8'
        ) < CONVERT_TO('B', 'UTF8')
      ),
      FALSE
    )
) AS "t2"
