-- Two-stage payments, refunds, recurring payments, invoice events and the double-entry ledger.

alter table payments add column pending_op text;
alter table payments add column refunded_amount bigint not null default 0;
alter table payments add column refund_seq bigint not null default 0;
alter table payments add column refund_pending bigint not null default 0;
alter table payments add column parent_invoice_id text;
alter table payments add column parent_payment_id text;
alter table payments add column authorised_at bigint;
create index payments_held_until on payments (held_until);

alter table invoices add column event_seq bigint not null default 0;
create index invoices_due on invoices (status, due_date);

create table refunds (
    invoice_id text not null,
    payment_id text not null,
    refund_id text not null,
    party_id text not null references parties (party_id),
    shop_id text not null references shops (shop_id),
    external_id text,
    params_digest text not null,
    created_at bigint not null,
    amount bigint not null,
    currency text not null,
    reason text,
    cart_json text,
    status text not null,
    error_json text,
    updated_at bigint not null,
    primary key (invoice_id, payment_id, refund_id)
);
create unique index refunds_party_external on refunds (party_id, external_id);
create index refunds_status on refunds (status, updated_at);

-- Each invoice's history, written in the same transaction as the change it describes.
create table invoice_events (
    invoice_id text not null,
    event_id bigint not null,
    party_id text not null,
    created_at bigint not null,
    changes_json text not null,
    primary key (invoice_id, event_id)
);
create index invoice_events_party_created on invoice_events (party_id, created_at);

-- Double-entry ledger: every batch sums to zero. Amounts are signed minor units
-- (positive = debit of the account, negative = credit).
create table ledger_postings (
    posting_id text primary key,
    batch_id text not null,
    account text not null,
    amount bigint not null,
    currency text not null,
    kind text not null,
    invoice_id text,
    payment_id text,
    refund_id text,
    created_at bigint not null
);
create index ledger_account on ledger_postings (account);
create index ledger_payment on ledger_postings (invoice_id, payment_id);
create index ledger_batch on ledger_postings (batch_id);
