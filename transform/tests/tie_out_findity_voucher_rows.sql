-- Tie-out: findity's voucher_rows lines in journal_lines, per tenant and currency, against the raw table: as many
-- lines and the same sum of integer minor units (returns the groups that differ).
{{ journal.tie_out('findity', 'voucher_rows', journal.raw_lines_findity_voucher_rows()) }}
