WITH `t1` AS (
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
)
SELECT DISTINCT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM `t1` AS `t2`
    EXCEPT
    SELECT
      *
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
        AND COALESCE((
          `t0`.`city` IS NOT NULL
        ) AND (
          `t0`.`city` = 'Shanghai'
        ), FALSE)
    ) AS `t3`
  ) AS `t4`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM `t1` AS `t2`
    EXCEPT
    SELECT
      *
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
        AND COALESCE(
          (
            (
              (
                2026 - EXTRACT(year FROM `t0`.`birth_date`)
              ) - CASE
                WHEN (
                  (
                    EXTRACT(month FROM `t0`.`birth_date`) * 100
                  ) + EXTRACT(day FROM `t0`.`birth_date`)
                ) > 318
                THEN 1
                ELSE 0
              END
            ) IS NOT NULL
          )
          AND (
            (
              (
                2026 - EXTRACT(year FROM `t0`.`birth_date`)
              ) - CASE
                WHEN (
                  (
                    EXTRACT(month FROM `t0`.`birth_date`) * 100
                  ) + EXTRACT(day FROM `t0`.`birth_date`)
                ) > 318
                THEN 1
                ELSE 0
              END
            ) > CAST('40.0000000000' AS DECIMAL(38, 10))
          ),
          FALSE
        )
    ) AS `t5`
  ) AS `t6`
) AS `t7`
