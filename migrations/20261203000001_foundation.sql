-- DucatPay foundation schema. Portable SQL for SQLite and PostgreSQL through sqlx::any:
-- instants are BIGINT epoch microseconds, JSON documents are TEXT, ids are made by the app.

create table parties (
    party_id text primary key,
    name text not null,
    email text not null unique,
    password_hash text not null,
    is_blocked bigint not null default 0,
    is_suspended bigint not null default 0,
    created_at bigint not null
);

create table shops (
    shop_id text primary key,
    party_id text not null references parties (party_id),
    name text not null,
    url text not null,
    bank_name text not null,
    settlement_account text not null,
    bik text not null,
    corr_account text not null,
    category_id bigint not null,
    currency text not null,
    -- commission in hundredths of a percent (10 = 0.1 %)
    fee_bps bigint not null,
    -- how long a two-stage payment stays held before its expiration policy applies
    hold_seconds bigint not null,
    is_blocked bigint not null default 0,
    is_suspended bigint not null default 0,
    created_at bigint not null
);
create index shops_party on shops (party_id);

-- API keys are shown once and stored as a SHA-256 digest (they are long random secrets).
create table api_keys (
    key_id text primary key,
    party_id text not null references parties (party_id),
    key_hash text not null unique,
    created_at bigint not null,
    revoked_at bigint
);

create table invoices (
    invoice_id text primary key,
    party_id text not null references parties (party_id),
    shop_id text not null references shops (shop_id),
    external_id text,
    -- digest of the creation parameters: same externalID + same digest = the same invoice
    params_digest text not null,
    created_at bigint not null,
    due_date bigint not null,
    amount bigint not null,
    currency text not null,
    product text not null,
    description text,
    cart_json text,
    allocation_json text,
    bank_account_json text,
    metadata_json text not null,
    client_info_json text,
    status text not null,
    reason text,
    -- one payment in progress at a time: set while a payment is pending/processed
    active_payment_id text,
    payment_seq bigint not null default 0,
    updated_at bigint not null
);
create unique index invoices_party_external on invoices (party_id, external_id);
create index invoices_shop_created on invoices (shop_id, created_at);

-- Tokenised cards. PAN, expiry and holder are sealed with AEAD; the CVV is never stored.
create table payment_resources (
    resource_id text primary key,
    party_id text not null references parties (party_id),
    payment_session text not null unique,
    card_sealed text not null,
    bin text not null,
    last_digits text not null,
    payment_system text not null,
    client_info_json text not null,
    created_at bigint not null,
    valid_until bigint not null
);

create table payments (
    invoice_id text not null references invoices (invoice_id),
    payment_id text not null,
    party_id text not null references parties (party_id),
    shop_id text not null references shops (shop_id),
    external_id text,
    params_digest text not null,
    created_at bigint not null,
    amount bigint not null,
    currency text not null,
    flow_type text not null,
    on_hold_expiration text,
    held_until bigint,
    payer_type text not null,
    resource_id text,
    -- a payment session debits at most once, whichever invoice it is presented on
    payment_session text unique,
    payer_json text not null,
    make_recurrent bigint not null default 0,
    metadata_json text,
    status text not null,
    error_json text,
    user_interaction_json text,
    bank_ref text,
    rrn text,
    approval_code text,
    fee bigint not null default 0,
    captured_amount bigint not null default 0,
    updated_at bigint not null,
    primary key (invoice_id, payment_id)
);
create unique index payments_party_external on payments (party_id, external_id);
create index payments_shop_created on payments (shop_id, created_at);
create index payments_status on payments (status);

-- The sandbox bank's own book of authorisations (it plays acquirer and issuer).
create table sandbox_bank_txns (
    txn_id text primary key,
    operation text not null,
    card_outcome text not null,
    amount bigint not null,
    state text not null,
    created_at bigint not null,
    updated_at bigint not null
);
