-- Tie-out: candis's postings lines in journal_lines, per tenant and currency, against the raw table: as many
-- lines and the same sum of integer minor units (returns the groups that differ).
{{ journal.tie_out('candis', 'postings', journal.raw_lines_candis_postings()) }}
