//! Operations: the Payments / Invoices / Refunds tabs with their filters and cursor pages.
//!
//! The filters live in the URL query (a plain GET form), so every list is a link that renders
//! on the server, survives a reload and can be shared; "next page" carries the continuation
//! token, and `open=<invoiceID>~<paymentID>` expands a payment's card under its row.

use super::payment::PaymentCard;
use super::{error_text, Cabinet, StatusBadge};
use crate::api::{search_invoices, search_payments, search_refunds, shops};
use crate::fmt::{datetime, money};
use crate::i18n::{t, Locale};
use crate::model::{Filters, PageOf, FILTER_KEYS};
use crate::ui::ui;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// Bumped after an action so the list and the open card load again.
#[derive(Clone, Copy)]
pub struct Reload(pub RwSignal<u32>);

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The current filters (and cursor/open when asked) with some values replaced.
pub fn href_with(path: &str, q: &ParamsMap, set: &[(&str, Option<String>)], keep_cursor: bool) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut keys: Vec<&str> = FILTER_KEYS.to_vec();
    if keep_cursor {
        keys.push("cursor");
    }
    keys.push("open");
    for k in keys {
        if set.iter().any(|(s, _)| *s == k) {
            continue;
        }
        if k == "open" && !keep_cursor {
            continue;
        }
        if let Some(v) = q.get(k).filter(|v| !v.is_empty()) {
            pairs.push((k.to_string(), v));
        }
    }
    for (k, v) in set {
        if let Some(v) = v {
            pairs.push((k.to_string(), v.clone()));
        }
    }
    if pairs.is_empty() {
        return path.to_string();
    }
    let qs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{path}?{}", qs.join("&"))
}

fn filters_from(q: &ParamsMap, tz: i32) -> Filters {
    let g = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
    Filters {
        period: g("period"),
        from: g("from"),
        to: g("to"),
        shop: g("shop"),
        invoice: g("invoice"),
        order: g("order"),
        status: g("status"),
        first6: g("first6"),
        last4: g("last4"),
        email: g("email"),
        amount: g("amount"),
        payment: g("payment"),
        cursor: g("cursor"),
        tz,
    }
}

fn status_options(tab: &str) -> &'static [&'static str] {
    match tab {
        "payments" => &["pending", "processed", "captured", "cancelled", "refunded", "failed"],
        "invoices" => &["unpaid", "paid", "cancelled", "fulfilled"],
        _ => &["pending", "succeeded", "failed"],
    }
}

#[component]
pub fn OperationsPage(tab: &'static str) -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let reload = RwSignal::new(0u32);
    provide_context(Reload(reload));
    let tab_link = move |name: &'static str, key: &'static str| {
        view! {
            <a
                href=format!("/cabinet/operations/{name}")
                class="tab"
                aria-current=(tab == name).then_some("page")
                data-testid=format!("tab-{name}")
            >
                {t(l, key)}
            </a>
        }
    };
    view! {
        <Title text=format!("{} · DucatPay", t(l, "ops.title")) />
        <Cabinet>
            <div class="ops-head">
                <h1>{t(l, "ops.title")}</h1>
                <a href="/cabinet/operations/invoices/new" class="button" data-testid="create-invoice">
                    {t(l, "ops.create_invoice")}
                </a>
            </div>
            <nav class="tabs" aria-label=t(l, "ops.title")>
                {tab_link("payments", "ops.tab.payments")}
                {tab_link("invoices", "ops.tab.invoices")}
                {tab_link("refunds", "ops.tab.refunds")}
            </nav>
            <FilterBar tab=tab />
            {match tab {
                "payments" => view! { <PaymentsTable /> }.into_any(),
                "invoices" => view! { <InvoicesTable /> }.into_any(),
                _ => view! { <RefundsTable /> }.into_any(),
            }}
        </Cabinet>
    }
}

#[component]
fn FilterBar(tab: &'static str) -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let query = use_query_map();
    let shop_list = Resource::new(|| (), |_| shops());
    let v = move |k: &str| query.with_untracked(|q| q.get(k)).unwrap_or_default();
    let period = v("period");
    let period = if period.is_empty() { "90d".to_string() } else { period };
    let status = v("status");
    let shop = v("shop");
    let presets = ["today", "7d", "30d", "90d", "365d", "custom"];
    let path = format!("/cabinet/operations/{tab}");
    let reset_href = path.clone();
    view! {
        <form method="get" action=path class="filters card" data-testid="filters">
            <div class="field">
                <label for="f-period">{t(l, "ops.period")}</label>
                <select id="f-period" name="period">
                    {presets
                        .iter()
                        .map(|p| {
                            let key: &'static str = match *p {
                                "today" => "ops.period.today",
                                "7d" => "ops.period.7d",
                                "30d" => "ops.period.30d",
                                "90d" => "ops.period.90d",
                                "365d" => "ops.period.365d",
                                _ => "ops.period.custom",
                            };
                            view! {
                                <option value=*p selected=*p == period.as_str()>
                                    {t(l, key)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-from">{t(l, "ops.from")}</label>
                <input id="f-from" type="date" name="from" value=v("from") />
            </div>
            <div class="field">
                <label for="f-to">{t(l, "ops.to")}</label>
                <input id="f-to" type="date" name="to" value=v("to") />
            </div>
            <div class="field">
                <label for="f-shop">{t(l, "ops.shop")}</label>
                <select id="f-shop" name="shop">
                    <option value="">{t(l, "ops.all_shops")}</option>
                    <Suspense fallback=|| ()>
                        {
                            let shop = shop.clone();
                            move || {
                                let shop = shop.clone();
                                Suspend::new(async move {
                                    shop_list
                                        .await
                                        .unwrap_or_default()
                                        .into_iter()
                                        .map(|s| {
                                            let sel = s.shop_id == shop;
                                            view! {
                                                <option value=s.shop_id.clone() selected=sel>
                                                    {s.name.clone()}
                                                </option>
                                            }
                                        })
                                        .collect_view()
                                })
                            }
                        }
                    </Suspense>
                </select>
            </div>
            <div class="field">
                <label for="f-invoice">{t(l, "ops.invoice")}</label>
                <input id="f-invoice" name="invoice" value=v("invoice") maxlength="40" />
            </div>
            {(tab != "refunds")
                .then(|| {
                    view! {
                        <div class="field">
                            <label for="f-order">{t(l, "ops.order")}</label>
                            <input id="f-order" name="order" value=v("order") maxlength="40" />
                        </div>
                    }
                })}
            <div class="field">
                <label for="f-status">{t(l, "ops.status")}</label>
                <select id="f-status" name="status" data-testid="filter-status">
                    <option value="">{t(l, "ops.any")}</option>
                    {status_options(tab)
                        .iter()
                        .map(|s| {
                            view! {
                                <option value=*s selected=*s == status.as_str()>
                                    {crate::i18n::status_text(l, s)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {(tab == "payments")
                .then(|| {
                    view! {
                        <fieldset class="field card-digits">
                            <legend>{t(l, "ops.card")}</legend>
                            <input
                                name="first6"
                                value=v("first6")
                                inputmode="numeric"
                                pattern="[0-9]{6}"
                                maxlength="6"
                                placeholder="123456"
                                aria-label=t(l, "ops.first6")
                            />
                            <span aria-hidden="true">"…"</span>
                            <input
                                name="last4"
                                value=v("last4")
                                inputmode="numeric"
                                pattern="[0-9]{4}"
                                maxlength="4"
                                placeholder="7890"
                                aria-label=t(l, "ops.last4")
                                data-testid="filter-last4"
                            />
                        </fieldset>
                    }
                })}
            <details class="more" open=!(v("email").is_empty() && v("amount").is_empty() && v("payment").is_empty())>
                <summary>{t(l, "ops.more")}</summary>
                <div class="more-fields">
                    {(tab == "payments")
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for="f-email">{t(l, "ops.email")}</label>
                                    <input id="f-email" type="email" name="email" value=v("email") />
                                </div>
                            }
                        })}
                    {(tab != "refunds")
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for="f-amount">{t(l, "ops.amount")}</label>
                                    <input id="f-amount" name="amount" value=v("amount") inputmode="decimal" />
                                </div>
                            }
                        })}
                    <div class="field">
                        <label for="f-payment">{t(l, "ops.payment_id")}</label>
                        <input id="f-payment" name="payment" value=v("payment") maxlength="40" />
                    </div>
                </div>
            </details>
            <div class="filter-actions">
                <button type="submit" class="button" data-testid="filter-apply">
                    {t(l, "ops.apply")}
                </button>
                <a href=reset_href class="button button-quiet">
                    {t(l, "ops.reset")}
                </a>
            </div>
        </form>
    }
}

/// "Last updated … ago" and Refresh.
#[component]
fn Toolbar(loaded_at: i64) -> impl IntoView {
    let l = ui().locale;
    let reload = use_context::<Reload>().map(|r| r.0);
    let now = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        now.set(Some(crate::browser::now_micros()));
        if let Ok(handle) = set_interval_with_handle(
            move || now.set(Some(crate::browser::now_micros())),
            std::time::Duration::from_secs(15),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let ago = move || match now.get() {
        Some(n) if n - loaded_at >= 60_000_000 => {
            format!("{} {}", (n - loaded_at) / 60_000_000, t(l, "ops.min_ago"))
        }
        _ => t(l, "ops.just_now").to_string(),
    };
    view! {
        <div class="toolbar">
            <span class="muted" data-testid="updated">
                {t(l, "ops.updated")} " " {ago}
            </span>
            <button
                type="button"
                class="button button-quiet"
                data-testid="refresh"
                on:click=move |_| {
                    if let Some(r) = reload {
                        r.update(|n| *n += 1);
                    }
                }
            >
                {t(l, "ops.refresh")}
            </button>
        </div>
    }
}

#[component]
fn Pager(next: Option<String>, tab: &'static str) -> impl IntoView {
    let l = ui().locale;
    let query = use_query_map();
    let path = format!("/cabinet/operations/{tab}");
    let has_cursor = query.with_untracked(|q| q.get("cursor").is_some());
    let first = has_cursor.then(|| href_with(&path, &query.get_untracked(), &[("cursor", None)], false));
    let next = next.map(|c| {
        href_with(
            &path,
            &query.get_untracked(),
            &[("cursor", Some(c)), ("open", None)],
            true,
        )
    });
    view! {
        <nav class="pager" aria-label="pages">
            {first.map(|h| view! { <a href=h data-testid="page-first">{t(l, "ops.first")}</a> })}
            {next.map(|h| view! { <a href=h data-testid="page-next">{t(l, "ops.next")}</a> })}
        </nav>
    }
}

fn empty_row(l: Locale, cols: usize) -> AnyView {
    view! {
        <tr>
            <td colspan=cols.to_string() class="empty" data-testid="empty">
                {t(l, "ops.empty")}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn PaymentsTable() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let query = use_query_map();
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let data = Resource::new(
        move || (filters_from(&query.get(), tz.get()), reload.get()),
        |(f, _)| search_payments(f),
    );
    view! {
        <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
            {move || {
                // Tracked here: opening a card changes only `open`, not the search.
                let open = query.with(|q| q.get("open")).unwrap_or_default();
                Suspend::new(async move {
                match data.await {
                    Ok(PageOf { rows, next, loaded_at }) => {
                        let q = query.get_untracked();
                        let body = if rows.is_empty() {
                            empty_row(l, 6)
                        } else {
                            rows.into_iter()
                                .map(|r| {
                                    let key = format!("{}~{}", r.invoice_id, r.payment_id);
                                    let is_open = key == open;
                                    let href = href_with(
                                        "/cabinet/operations/payments",
                                        &q,
                                        &[("open", (!is_open).then(|| key.clone()))],
                                        true,
                                    );
                                    let (inv, pay) = (r.invoice_id.clone(), r.payment_id.clone());
                                    let updated = r.updated_at;
                                    view! {
                                        <tr class:open=is_open data-testid="payment-row" data-payment=key.clone()>
                                            <td>
                                                <a
                                                    href=href
                                                    aria-expanded=is_open.to_string()
                                                    title=t(l, "ops.open")
                                                    class="row-link"
                                                >
                                                    {money(l, r.amount, &r.currency)}
                                                </a>
                                            </td>
                                            <td>
                                                <StatusBadge status=r.status.clone() />
                                            </td>
                                            <td>{r.order_id.clone().unwrap_or_default()}</td>
                                            <td class="mono">{r.card_mask.clone().unwrap_or_default()}</td>
                                            <td>{move || datetime(l, updated, tz.get())}</td>
                                            <td>{r.shop_name.clone()}</td>
                                        </tr>
                                        {is_open
                                            .then(|| {
                                                view! {
                                                    <tr class="card-row">
                                                        <td colspan="6">
                                                            <PaymentCard invoice_id=inv payment_id=pay />
                                                        </td>
                                                    </tr>
                                                }
                                            })}
                                    }
                                        .into_any()
                                })
                                .collect_view()
                                .into_any()
                        };
                        view! {
                            <Toolbar loaded_at=loaded_at />
                            <div class="table-wrap">
                                <table class="ops" data-testid="payments-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{t(l, "col.charged")}</th>
                                            <th scope="col">{t(l, "col.status")}</th>
                                            <th scope="col">{t(l, "col.order")}</th>
                                            <th scope="col">{t(l, "col.card")}</th>
                                            <th scope="col">{t(l, "col.changed")}</th>
                                            <th scope="col">{t(l, "col.shop")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                            <Pager next=next tab="payments" />
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(l, &e)}</p> }.into_any(),
                }
                })
            }}
        </Suspense>
    }
}

#[component]
fn InvoicesTable() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let query = use_query_map();
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let data = Resource::new(
        move || (filters_from(&query.get(), tz.get()), reload.get()),
        |(f, _)| search_invoices(f),
    );
    view! {
        <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(PageOf { rows, next, loaded_at }) => {
                        let body = if rows.is_empty() {
                            empty_row(l, 6)
                        } else {
                            rows.into_iter()
                                .map(|r| {
                                    let created = r.created_at;
                                    let pay_href = format!(
                                        "/cabinet/operations/payments?invoice={}",
                                        encode(&r.invoice_id),
                                    );
                                    view! {
                                        <tr data-testid="invoice-row" data-invoice=r.invoice_id.clone()>
                                            <td>
                                                <a href=pay_href>{r.product.clone()}</a>
                                            </td>
                                            <td>{money(l, r.amount, &r.currency)}</td>
                                            <td>
                                                <StatusBadge status=r.status.clone() />
                                            </td>
                                            <td>{r.order_id.clone().unwrap_or_default()}</td>
                                            <td>{move || datetime(l, created, tz.get())}</td>
                                            <td>{r.shop_name.clone()}</td>
                                        </tr>
                                    }
                                        .into_any()
                                })
                                .collect_view()
                                .into_any()
                        };
                        view! {
                            <Toolbar loaded_at=loaded_at />
                            <div class="table-wrap">
                                <table class="ops" data-testid="invoices-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{t(l, "col.product")}</th>
                                            <th scope="col">{t(l, "col.cost")}</th>
                                            <th scope="col">{t(l, "col.status")}</th>
                                            <th scope="col">{t(l, "col.order")}</th>
                                            <th scope="col">{t(l, "col.created")}</th>
                                            <th scope="col">{t(l, "col.shop")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                            <Pager next=next tab="invoices" />
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(l, &e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RefundsTable() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let query = use_query_map();
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let data = Resource::new(
        move || (filters_from(&query.get(), tz.get()), reload.get()),
        |(f, _)| search_refunds(f),
    );
    view! {
        <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(PageOf { rows, next, loaded_at }) => {
                        let body = if rows.is_empty() {
                            empty_row(l, 6)
                        } else {
                            rows.into_iter()
                                .map(|r| {
                                    let changed = r.updated_at;
                                    let pay_href = format!(
                                        "/cabinet/operations/payments?invoice={}&open={}~{}",
                                        encode(&r.invoice_id),
                                        encode(&r.invoice_id),
                                        encode(&r.payment_id),
                                    );
                                    view! {
                                        <tr data-testid="refund-row">
                                            <td>{money(l, r.amount, &r.currency)}</td>
                                            <td>
                                                <StatusBadge status=r.status.clone() />
                                            </td>
                                            <td>{move || datetime(l, changed, tz.get())}</td>
                                            <td>{r.shop_name.clone()}</td>
                                            <td>{r.reason.clone().unwrap_or_default()}</td>
                                            <td>
                                                <a href=pay_href>
                                                    {format!("{}.{}", r.invoice_id, r.payment_id)}
                                                </a>
                                            </td>
                                        </tr>
                                    }
                                        .into_any()
                                })
                                .collect_view()
                                .into_any()
                        };
                        view! {
                            <Toolbar loaded_at=loaded_at />
                            <div class="table-wrap">
                                <table class="ops" data-testid="refunds-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{t(l, "col.refund_amount")}</th>
                                            <th scope="col">{t(l, "col.status")}</th>
                                            <th scope="col">{t(l, "col.changed")}</th>
                                            <th scope="col">{t(l, "col.shop")}</th>
                                            <th scope="col">{t(l, "col.reason")}</th>
                                            <th scope="col">{t(l, "col.payment")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                            <Pager next=next tab="refunds" />
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(l, &e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
