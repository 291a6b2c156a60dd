SELECT DISTINCT
  `t4`.`one_id`
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
  ) AS `t2`
  WHERE
    COALESCE(
      (
        `t2`.`branch_code` = 'HO'
      )
      OR `t2`.`branch_code` IN (
        SELECT
          `t1`.`code`
        FROM `org_units` AS `t1`
        WHERE
          IF(
            SPLIT(`t1`.`path`, '/') IS NULL,
            NULL,
            COALESCE(ARRAY_CONTAINS(SPLIT(`t1`.`path`, '/'), 'HO'), FALSE)
          )
      ),
      FALSE
    )
) AS `t4`
