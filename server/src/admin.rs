//! `ducatpay admin …`: what support does by hand (register an organisation, create a shop,
//! issue an API key) and the demo data. Every command can answer in JSON for scripts.

use crate::config::DbArgs;
use crate::startup::open_engine;
use clap::{Args, Subcommand};
use engine::bank::sandbox::SandboxConfig;
use engine::clock::Clock;
use engine::parties::NewShop;
use engine::Engine;
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Register an organisation (party) with its cabinet user.
    CreateParty {
        #[arg(long)]
        name: String,
        /// The cabinet user's e-mail (login).
        #[arg(long)]
        email: String,
        /// Cabinet password (at least 8 characters). Default: a generated one, printed once.
        #[arg(long, env = "DUCATPAY_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// Create a shop for an organisation.
    CreateShop {
        #[arg(long = "party-id")]
        party_id: String,
        #[arg(long)]
        name: String,
        /// Site URL where the payment form lives.
        #[arg(long)]
        url: String,
        #[arg(long = "bank-name")]
        bank_name: String,
        /// Settlement account (20 digits).
        #[arg(long)]
        account: String,
        /// BIK (9 digits).
        #[arg(long)]
        bik: String,
        /// Correspondent account (20 digits).
        #[arg(long = "corr-account")]
        corr_account: String,
        #[arg(long, default_value_t = 1)]
        category: i64,
        /// Commission in hundredths of a percent (default 10 = 0.1 %).
        #[arg(long = "fee-bps")]
        fee_bps: Option<i64>,
        /// How long a two-stage payment stays held, in seconds (default 60).
        #[arg(long = "hold-seconds")]
        hold_seconds: Option<i64>,
        #[command(flatten)]
        out: Output,
    },
    /// Issue a new API key for an organisation (shown once).
    IssueKey {
        #[arg(long = "party-id")]
        party_id: String,
        /// Revoke the organisation's existing keys first.
        #[arg(long)]
        revoke_old: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Brand a shop's hosted checkout: logo, pay-button colour, cardholder field. Options left
    /// out keep their current value; `--logo-url ""` / `--button-colour ""` restore the default.
    SetBranding {
        #[arg(long = "party-id")]
        party_id: String,
        #[arg(long = "shop-id")]
        shop_id: String,
        /// https://… (or http://…) image URL, or a data:image/…;base64 URI of at most 16 KiB.
        #[arg(long = "logo-url")]
        logo_url: Option<String>,
        /// Pay-button colour as #rrggbb.
        #[arg(long = "button-colour", alias = "button-color")]
        button_colour: Option<String>,
        /// Ask the buyer for the cardholder's name (true/false).
        #[arg(long = "ask-cardholder")]
        ask_cardholder: Option<bool>,
        #[command(flatten)]
        out: Output,
    },
    /// Make sure the demo organisation and shop exist; issue a fresh demo API key.
    Demo {
        #[command(flatten)]
        out: Output,
    },
    /// Record (or replace) an organisation's contract data, shown on the cabinet's shop page.
    SetContract {
        #[arg(long = "party-id")]
        party_id: String,
        #[arg(long = "legal-name")]
        legal_name: String,
        /// INN: 10 digits (12 for an entrepreneur).
        #[arg(long)]
        inn: String,
        /// OGRN: 13 digits (OGRNIP: 15).
        #[arg(long)]
        ogrn: String,
        #[arg(long)]
        address: String,
        #[arg(long = "representative-position")]
        representative_position: String,
        #[arg(long = "representative-name")]
        representative_name: String,
        /// The document the representative acts on (e.g. "Устав").
        #[arg(long = "representative-document")]
        representative_document: String,
        #[command(flatten)]
        out: Output,
    },
    /// Recompute every balance from the ledger and cross-check payments, refunds and invoices.
    /// Exits non-zero with a report when anything disagrees.
    Verify {
        #[command(flatten)]
        out: Output,
    },
    /// Run the due work (hold expiry, overdue invoices, recovery) once, now — or as if the
    /// clock were SECONDS ahead (sandbox: see a hold expire without waiting).
    RunWorkers {
        #[arg(long, default_value_t = 0)]
        advance_seconds: i64,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Args)]
pub struct Output {
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

fn emit(out: &Output, value: &Value, lines: &[(&str, String)]) {
    if out.json {
        println!("{value}");
    } else {
        for (k, v) in lines {
            println!("{k:<14}{v}");
        }
    }
}

async fn engine_for(out: &Output) -> anyhow::Result<Engine> {
    open_engine(
        &out.db,
        "http://127.0.0.1:8080",
        SandboxConfig::default(),
        10,
        Clock::system(),
    )
    .await
}

pub async fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateParty {
            name,
            email,
            password,
            out,
        } => {
            let engine = engine_for(&out).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (engine::ids::random_base62(16), true),
            };
            let party = engine.create_party(&name, &email, &password).await?;
            let mut v = json!({"partyID": party.party_id, "name": party.name, "email": party.email});
            let mut lines = vec![("partyID", party.party_id.clone()), ("email", party.email.clone())];
            if generated {
                v["password"] = json!(password);
                lines.push(("password", password.clone()));
            }
            emit(&out, &v, &lines);
        }
        AdminCommand::CreateShop {
            party_id,
            name,
            url,
            bank_name,
            account,
            bik,
            corr_account,
            category,
            fee_bps,
            hold_seconds,
            out,
        } => {
            let engine = engine_for(&out).await?;
            let shop = engine
                .create_shop(
                    &party_id,
                    NewShop {
                        name,
                        url,
                        bank_name,
                        settlement_account: account,
                        bik,
                        corr_account,
                        category_id: category,
                        fee_bps,
                        hold_seconds,
                    },
                )
                .await?;
            let mut v = shop.to_api();
            v["shopID"] = json!(shop.shop_id);
            v["partyID"] = json!(shop.party_id);
            v["feeBps"] = json!(shop.fee_bps);
            v["holdSeconds"] = json!(shop.hold_seconds);
            emit(
                &out,
                &v,
                &[("shopID", shop.shop_id.clone()), ("name", shop.name.clone())],
            );
        }
        AdminCommand::IssueKey {
            party_id,
            revoke_old,
            out,
        } => {
            let engine = engine_for(&out).await?;
            let revoked = if revoke_old {
                engine.revoke_api_keys(&party_id).await?
            } else {
                0
            };
            let key = engine.issue_api_key(&party_id).await?;
            emit(
                &out,
                &json!({"partyID": party_id, "apiKey": key, "revoked": revoked}),
                &[("partyID", party_id.clone()), ("apiKey", key.clone())],
            );
        }
        AdminCommand::SetBranding {
            party_id,
            shop_id,
            logo_url,
            button_colour,
            ask_cardholder,
            out,
        } => {
            let engine = engine_for(&out).await?;
            let current = engine.shop_branding(&party_id, &shop_id).await?;
            let pick = |new: Option<String>, old: Option<String>| match new {
                Some(v) if v.is_empty() => None,
                Some(v) => Some(v),
                None => old,
            };
            let wanted = engine::branding::Branding {
                logo_url: pick(logo_url, current.logo_url),
                button_colour: pick(button_colour, current.button_colour),
                ask_cardholder: ask_cardholder.unwrap_or(current.ask_cardholder),
            };
            let b = engine.set_shop_branding(&party_id, &shop_id, &wanted).await?;
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(default)".into());
            emit(
                &out,
                &json!({"partyID": party_id, "shopID": shop_id, "logoUrl": b.logo_url,
                        "buttonColour": b.button_colour, "askCardholder": b.ask_cardholder}),
                &[
                    ("shopID", shop_id.clone()),
                    ("logoUrl", shown(&b.logo_url)),
                    ("buttonColour", shown(&b.button_colour)),
                    ("askCardholder", b.ask_cardholder.to_string()),
                ],
            );
        }
        AdminCommand::SetContract {
            party_id,
            legal_name,
            inn,
            ogrn,
            address,
            representative_position,
            representative_name,
            representative_document,
            out,
        } => {
            let engine = engine_for(&out).await?;
            let contract = engine::cabinet::Contract {
                legal_name,
                inn,
                ogrn,
                address,
                representative_position,
                representative_name,
                representative_document,
                created_at: 0,
            };
            engine.set_contract(&party_id, &contract).await?;
            emit(
                &out,
                &json!({"partyID": party_id, "contract": contract}),
                &[("partyID", party_id.clone())],
            );
        }
        AdminCommand::Demo { out } => {
            let engine = engine_for(&out).await?;
            let demo = ensure_demo_with_contract(&engine).await?;
            let s = |k: &str| demo[k].as_str().unwrap_or_default().to_string();
            emit(
                &out,
                &demo,
                &[
                    ("partyID", s("partyID")),
                    ("shopID", s("shopID")),
                    ("apiKey", s("apiKey")),
                ],
            );
        }
        AdminCommand::Verify { out } => {
            let engine = engine_for(&out).await?;
            let problems = engine.verify().await?;
            let v = json!({"ok": problems.is_empty(), "problems": problems});
            if out.json {
                println!("{v}");
            } else if problems.is_empty() {
                println!("ledger and payments agree: every batch balances, every payment matches its postings");
            } else {
                println!("{} problem(s) found:", problems.len());
                for p in &problems {
                    println!("  - {p}");
                }
            }
            if !problems.is_empty() {
                anyhow::bail!("verification failed");
            }
        }
        AdminCommand::RunWorkers { advance_seconds, out } => {
            let engine = engine_for(&out).await?;
            engine.clock.advance(chrono::Duration::seconds(advance_seconds));
            let report = engine.run_due_work().await?;
            emit(
                &out,
                &serde_json::to_value(&report)?,
                &[("report", format!("{report:?}"))],
            );
        }
    }
    Ok(())
}

/// On a database with no organisations at all, creates the demo one (first start).
pub async fn seed_demo_if_empty(engine: &Engine) -> anyhow::Result<Option<Value>> {
    let (count,): (i64,) = sqlx::query_as("select count(*) from parties")
        .fetch_one(&engine.db.pool)
        .await?;
    if count > 0 {
        return Ok(None);
    }
    Ok(Some(ensure_demo_with_contract(engine).await?))
}

/// The demo organisation, with sample contract data so the cabinet's shop page is complete.
async fn ensure_demo_with_contract(engine: &Engine) -> anyhow::Result<Value> {
    let demo = engine.ensure_demo().await?;
    let party_id = demo["partyID"].as_str().unwrap_or_default();
    if engine.contract(party_id).await?.is_none() {
        let contract = engine::cabinet::Contract {
            legal_name: "ООО «Дукат Демо»".into(),
            inn: "7701234567".into(),
            ogrn: "1027700123456".into(),
            address: "123112, Москва, Пресненская наб., 10".into(),
            representative_position: "Генеральный директор".into(),
            representative_name: "Иванов Иван Иванович".into(),
            representative_document: "Устав".into(),
            created_at: 0,
        };
        engine.set_contract(party_id, &contract).await?;
    }
    Ok(demo)
}
