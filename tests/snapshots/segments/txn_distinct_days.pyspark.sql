SELECT DISTINCT
  `t16`.`one_id`
FROM (
  SELECT
    `t8`.`one_id`,
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
  ) AS `t8`
  LEFT OUTER JOIN (
    SELECT
      `t13`.`one_id`,
      COUNT(DISTINCT `t13`.`ordinal`) AS `result`
    FROM (
      SELECT
        `t12`.`one_id`,
        `t12`.`at`,
        `t12`.`value`,
        CAST(FLOOR(
          (
            UNIX_TIMESTAMP(CAST(`t12`.`at` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMP) AS TIMESTAMP))
          ) / (
            86400
          )
        ) AS BIGINT) + 739687 AS `ordinal`
      FROM (
        SELECT
          `t11`.`profile` AS `one_id`,
          `t7`.`occurred_at` AS `at`,
          CAST(`t7`.`amount_fen` AS DECIMAL(38, 10)) AS `value`
        FROM (
          SELECT
            *
          FROM `transactions` AS `t1`
          WHERE
            `t1`.`occurred_at` <= CAST('2026-03-18T02:00:00+00:00' AS TIMESTAMP)
            AND COALESCE(TRUE, FALSE)
        ) AS `t7`
        INNER JOIN (
          SELECT
            `t4`.`unit`,
            `t4`.`profile`
          FROM (
            SELECT
              `t0`.`one_id` AS `unit`,
              COALESCE(`t0`.`merged_into`, `t0`.`one_id`) AS `profile`
            FROM `customers` AS `t0`
          ) AS `t4`
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
          ) AS `t9`
            ON `t4`.`profile` = `t9`.`one_id`
        ) AS `t11`
          ON `t7`.`one_id` = `t11`.`unit`
      ) AS `t12`
      WHERE
        `t12`.`at` >= CAST('2026-03-11T16:00:00+00:00' AS TIMESTAMP)
        AND `t12`.`at` < CAST('2026-03-18T16:00:00+00:00' AS TIMESTAMP)
    ) AS `t13`
    GROUP BY
      1
  ) AS `t15`
    ON `t8`.`one_id` = `t15`.`one_id`
) AS `t16`
WHERE
  COALESCE(
    (
      COALESCE(`t16`.`result`, 0) IS NOT NULL
    )
    AND (
      COALESCE(`t16`.`result`, 0) = CAST('2.0000000000' AS DECIMAL(38, 10))
    ),
    FALSE
  )
