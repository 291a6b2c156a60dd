SELECT DISTINCT
  `t15`.`one_id`
FROM (
  SELECT
    `t7`.`one_id`,
    `t14`.`one_id` AS `one_id_right`,
    `t14`.`total`
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
  ) AS `t7`
  LEFT OUTER JOIN (
    SELECT
      `t12`.`one_id`,
      SUM(`t12`.`value`) AS `total`
    FROM (
      SELECT
        `t11`.`profile` AS `one_id`,
        COALESCE(`t9`.`balance_fen`, 0) AS `value`
      FROM (
        SELECT
          *
        FROM `holdings` AS `t1`
        WHERE
          (
            (
              `t1`.`opened_at` IS NULL
            )
            OR (
              `t1`.`opened_at` <= MAKE_DATE(2026, 3, 18)
            )
          )
          AND COALESCE(`t1`.`product_type` IN ('time_deposit', 'wealth'), FALSE)
      ) AS `t9`
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
        ) AS `t8`
          ON `t3`.`profile` = `t8`.`one_id`
      ) AS `t11`
        ON `t9`.`one_id` = `t11`.`unit`
    ) AS `t12`
    GROUP BY
      1
  ) AS `t14`
    ON `t7`.`one_id` = `t14`.`one_id`
) AS `t15`
WHERE
  COALESCE(
    (
      COALESCE(`t15`.`total`, 0) IS NOT NULL
    )
    AND (
      COALESCE(`t15`.`total`, 0) >= CAST('10000000.0000000000' AS DECIMAL(38, 10))
    ),
    FALSE
  )
