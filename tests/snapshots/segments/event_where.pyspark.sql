SELECT DISTINCT
  `t16`.`one_id`
FROM (
  SELECT
    `t6`.`one_id`,
    `t15`.`one_id` AS `one_id_right`,
    `t15`.`result`
  FROM (
    SELECT
      `t0`.`one_id`
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
  ) AS `t6`
  LEFT OUTER JOIN (
    SELECT
      `t13`.`one_id`,
      COUNT(*) AS `result`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t9`.`profile` AS `one_id`,
          `t11`.`occurred_at` AS `at`,
          CAST(NULL AS DECIMAL(38, 10)) AS `value`
        FROM (
          SELECT
            *
          FROM `events` AS `t1`
          WHERE
            `t1`.`occurred_at` <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMP)
            AND COALESCE(
              (
                `t1`.`type` = 'product_view'
              )
              AND COALESCE(
                (
                  CASE
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code', 'string')
                    ELSE CAST(NULL AS STRING)
                  END IS NOT NULL
                )
                AND (
                  CASE
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.product_code', 'string')
                    ELSE CAST(NULL AS STRING)
                  END = 'WM-CASH'
                ),
                FALSE
              )
              AND COALESCE(
                (
                  CASE
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'number'
                    THEN CASE
                      WHEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string') RLIKE '^-?([0-9]{1,27}(\\.[0-9]+)?|[0-9](\\.[0-9]+)?[eE](-[0-9]{1,3}|\\+?(1?[0-9]|2[0-6])))$'
                      THEN TRY_CAST(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string') AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN CASE
                      WHEN TRIM(' \t\n\r\013\014' FROM VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string')) RLIKE '^-?[0-9]{1,27}(\\.[0-9]+)?$'
                      THEN TRY_CAST(TRIM(' \t\n\r\013\014' FROM VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string')) AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    ELSE CAST(NULL AS DECIMAL(38, 10))
                  END IS NOT NULL
                )
                AND (
                  CASE
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'number'
                    THEN CASE
                      WHEN VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string') RLIKE '^-?([0-9]{1,27}(\\.[0-9]+)?|[0-9](\\.[0-9]+)?[eE](-[0-9]{1,3}|\\+?(1?[0-9]|2[0-6])))$'
                      THEN TRY_CAST(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string') AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    WHEN CASE
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IS NULL
                      THEN CAST(NULL AS STRING)
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'STRING'
                      THEN 'string'
                      WHEN STARTSWITH(
                        SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')),
                        'DECIMAL'
                      )
                      OR SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
                      THEN 'number'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'BOOLEAN'
                      THEN 'boolean'
                      WHEN SCHEMA_OF_VARIANT(VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds')) = 'VOID'
                      THEN 'null'
                      ELSE 'other'
                    END = 'string'
                    THEN CASE
                      WHEN TRIM(' \t\n\r\013\014' FROM VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string')) RLIKE '^-?[0-9]{1,27}(\\.[0-9]+)?$'
                      THEN TRY_CAST(TRIM(' \t\n\r\013\014' FROM VARIANT_GET(TRY_PARSE_JSON(`t1`.`properties`), '$.seconds', 'string')) AS DECIMAL(38, 10))
                      ELSE CAST(NULL AS DECIMAL(38, 10))
                    END
                    ELSE CAST(NULL AS DECIMAL(38, 10))
                  END >= CAST('60.0000000000' AS DECIMAL(38, 10))
                ),
                FALSE
              ),
              FALSE
            )
        ) AS `t11`
        INNER JOIN (
          SELECT
            `t3`.`unit`,
            `t3`.`profile`
          FROM (
            SELECT
              `t0`.`one_id` AS `unit`,
              COALESCE(`t0`.`merged_into`, `t0`.`one_id`) AS `profile`
            FROM `customers` AS `t0`
          ) AS `t3`
          LEFT SEMI JOIN (
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
          ) AS `t7`
            ON `t3`.`profile` = `t7`.`one_id`
        ) AS `t9`
          ON `t11`.`one_id` = `t9`.`unit`
      ) AS `t12`
      WHERE
        `t12`.`at` >= CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMP)
        AND `t12`.`at` < CAST('2026-03-18T16:00:00+00:00' AS TIMESTAMP)
    ) AS `t13`
    GROUP BY
      1
  ) AS `t15`
    ON `t6`.`one_id` = `t15`.`one_id`
) AS `t16`
WHERE
  COALESCE(
    (
      COALESCE(`t16`.`result`, 0) IS NOT NULL
    )
    AND (
      COALESCE(`t16`.`result`, 0) >= CAST('1.0000000000' AS DECIMAL(38, 10))
    ),
    FALSE
  )
