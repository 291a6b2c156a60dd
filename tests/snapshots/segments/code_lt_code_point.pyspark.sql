SELECT DISTINCT
  `t2`.`one_id`
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM `customers` AS `t0`
    WHERE
      `t0`.`merged_into` IS NULL
      AND (
        (
          `t0`.`status` IS NULL
        ) OR (
          `t0`.`status` <> 'merged'
        )
      )
  ) AS `t1`
  WHERE
    COALESCE(
      (
        CASE
          WHEN CASE
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) IS NULL
            THEN CAST(NULL AS STRING)
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'STRING'
            THEN 'string'
            WHEN STARTSWITH(
              SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')),
              'DECIMAL'
            )
            OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
            THEN 'number'
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'BOOLEAN'
            THEN 'boolean'
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'VOID'
            THEN 'null'
            ELSE 'other'
          END = 'string'
          THEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code', 'string')
          ELSE CAST(NULL AS STRING)
        END IS NOT NULL
      )
      AND (
        CASE
          WHEN CASE
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) IS NULL
            THEN CAST(NULL AS STRING)
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'STRING'
            THEN 'string'
            WHEN STARTSWITH(
              SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')),
              'DECIMAL'
            )
            OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
            THEN 'number'
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'BOOLEAN'
            THEN 'boolean'
            WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code')) = 'VOID'
            THEN 'null'
            ELSE 'other'
          END = 'string'
          THEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`attributes`), '$.code', 'string')
          ELSE CAST(NULL AS STRING)
        END < 'B'
      ),
      FALSE
    )
) AS `t2`
