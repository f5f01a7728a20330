-- The billing anchor: where the subscription's periods are counted from, so a plan bought on
-- 31 January renews on 29 February, 31 March, 30 April (not 29 February, 29 March, ...).
ALTER TABLE account_plans ADD COLUMN period_anchor BIGINT;
UPDATE account_plans SET period_anchor = period_start;
