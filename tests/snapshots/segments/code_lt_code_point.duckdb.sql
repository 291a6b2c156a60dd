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
            WHEN JSON_TYPE("t1"."attributes", '$.code') IS NULL
            THEN CAST(NULL AS TEXT)
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'VARCHAR'
            THEN 'string'
            WHEN JSON_TYPE("t1"."attributes", '$.code') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
            THEN 'number'
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'BOOLEAN'
            THEN 'boolean'
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'NULL'
            THEN 'null'
            ELSE 'other'
          END = 'string'
          THEN "t1"."attributes" ->> '$.code'
          ELSE CAST(NULL AS TEXT)
        END IS NOT NULL
      )
      AND (
        CASE
          WHEN CASE
            WHEN JSON_TYPE("t1"."attributes", '$.code') IS NULL
            THEN CAST(NULL AS TEXT)
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'VARCHAR'
            THEN 'string'
            WHEN JSON_TYPE("t1"."attributes", '$.code') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
            THEN 'number'
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'BOOLEAN'
            THEN 'boolean'
            WHEN JSON_TYPE("t1"."attributes", '$.code') = 'NULL'
            THEN 'null'
            ELSE 'other'
          END = 'string'
          THEN "t1"."attributes" ->> '$.code'
          ELSE CAST(NULL AS TEXT)
        END < 'B'
      ),
      FALSE
    )
) AS "t2"
