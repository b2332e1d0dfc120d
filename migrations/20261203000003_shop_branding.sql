-- Hosted checkout branding per shop: logo, pay-button colour and whether the form asks for the
-- cardholder's name. A row exists only for shops that changed the defaults.
create table shop_branding (
    shop_id text primary key references shops (shop_id),
    party_id text not null references parties (party_id),
    -- https://… / http://… or a data:image/…;base64 URI (at most 16 KiB)
    logo_url text,
    -- #rrggbb
    button_colour text,
    ask_cardholder bigint not null default 0,
    updated_at bigint not null
);
