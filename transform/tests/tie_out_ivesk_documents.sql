-- Tie-out: ivesk's documents lines in journal_lines, per tenant and currency, against the raw table: as many
-- lines and the same sum of integer minor units (returns the groups that differ).
{{ journal.tie_out('ivesk', 'documents', journal.raw_lines_ivesk_documents()) }}
