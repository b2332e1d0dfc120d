-- The payer's e-mail as its own column (lower-case), so the operations list filters by it with
-- an index instead of scanning payer documents. Payments made before this migration keep it null.
alter table payments add column payer_email text;
create index payments_party_email on payments (party_id, payer_email, created_at);
