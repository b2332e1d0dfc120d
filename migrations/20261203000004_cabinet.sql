-- Merchant cabinet: sign-in sessions, throttling of failed sign-ins, password resets, contract
-- data shown on the shop page, and the indexes the operations lists need on large shops.
-- Portable SQL (SQLite and PostgreSQL through sqlx::any): TEXT/BIGINT, instants in epoch micros.

-- The cookie holds a random secret; only its SHA-256 is stored, so a database leak is no login.
create table cabinet_sessions (
    session_hash text primary key,
    party_id text not null references parties (party_id),
    -- synchronizer token: every state-changing server function must present it
    csrf_token text not null,
    remember bigint not null default 0,
    created_at bigint not null,
    expires_at bigint not null
);
create index cabinet_sessions_party on cabinet_sessions (party_id);
create index cabinet_sessions_expires on cabinet_sessions (expires_at);

-- One row per failed sign-in, per subject ('account:<e-mail>' and 'ip:<address>'); a window
-- count over (subject, created_at) decides the lockout.
create table cabinet_login_failures (
    failure_id text primary key,
    subject text not null,
    created_at bigint not null
);
create index cabinet_login_failures_subject on cabinet_login_failures (subject, created_at);

-- Single-use, expiring password reset tokens (stored hashed, like sessions).
create table cabinet_password_resets (
    token_hash text primary key,
    party_id text not null references parties (party_id),
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create index cabinet_password_resets_party on cabinet_password_resets (party_id, created_at);

-- The organisation's contract as the manual's shop page shows it (entered by support).
create table cabinet_contracts (
    party_id text primary key references parties (party_id),
    legal_name text not null,
    inn text not null,
    ogrn text not null,
    address text not null,
    representative_position text not null,
    representative_name text not null,
    representative_document text not null,
    created_at bigint not null
);

-- Operations lists: newest first per organisation or shop, keyset-paginated on
-- (created_at, ids), optionally by status. Never a count, never a full scan for a page.
create index payments_party_created on payments (party_id, created_at);
create index payments_party_status_created on payments (party_id, status, created_at);
-- The card filter goes through the tokenised card (first 6 / last 4 live on payment_resources).
create index payments_resource on payments (resource_id);
create index payment_resources_party_card on payment_resources (party_id, last_digits, bin);
create index invoices_party_created on invoices (party_id, created_at);
create index invoices_party_status_created on invoices (party_id, status, created_at);
create index refunds_party_created on refunds (party_id, created_at);
create index refunds_shop_created on refunds (shop_id, created_at);
