//! Shops: the list (the default page after sign-in) and a shop's details with freeze.

use super::{csrf_token, error_text, Cabinet};
use crate::api::{set_shop_frozen, shop_detail, shops};
use crate::fmt::{datetime, percent};
use crate::i18n::{t, Locale};
use crate::model::{ShopDetails, ShopView};
use crate::ui::ui;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn shop_state(l: Locale, s: &ShopView) -> (&'static str, &'static str) {
    if s.blocked {
        ("blocked", t(l, "shops.blocked"))
    } else if s.frozen {
        ("frozen", t(l, "shops.frozen"))
    } else {
        ("active", t(l, "shops.active"))
    }
}

#[component]
pub fn ShopsPage() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let list = Resource::new(|| (), |_| shops());
    view! {
        <Title text=format!("{} · DucatPay", t(l, "shops.title")) />
        <Cabinet>
            <h1>{t(l, "shops.title")}</h1>
            <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(shops) if shops.is_empty() => view! { <p>{t(l, "shops.empty")}</p> }.into_any(),
                        Ok(shops) => {
                            view! {
                                <ul class="shop-list" data-testid="shop-list">
                                    {shops
                                        .into_iter()
                                        .map(|s| {
                                            let (cls, label) = shop_state(l, &s);
                                            view! {
                                                <li class="card shop-item">
                                                    <a href=format!("/cabinet/shops/{}", s.shop_id) class="shop-name">
                                                        {s.name.clone()}
                                                    </a>
                                                    <span class="muted">{s.url.clone()}</span>
                                                    <span class=format!("badge badge-{cls}")>{label}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="form-error">{error_text(l, &e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Cabinet>
    }
}

#[component]
pub fn ShopPage() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let params = use_params_map();
    let shop_id = move || params.get().get("shop_id").unwrap_or_default();
    let reload = RwSignal::new(0u32);
    let detail = Resource::new(move || (shop_id(), reload.get()), |(id, _)| shop_detail(id));
    let freeze = Action::new(move |frozen: &bool| {
        let frozen = *frozen;
        let id = shop_id();
        let csrf = csrf_token();
        async move { set_shop_frozen(csrf, id, frozen).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = freeze.value().get() {
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <Title text=format!("{} · DucatPay", t(l, "shop.details")) />
        <Cabinet>
            <p>
                <a href="/cabinet/shops">"← " {t(l, "shop.back")}</a>
            </p>
            <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <ShopDetailView d=d freeze=freeze /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" data-testid="shop-error">
                                    {error_text(l, &e)}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </Cabinet>
    }
}

#[component]
fn Field(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="kv">
            <dt>{label}</dt>
            <dd>{if value.is_empty() { "—".to_string() } else { value }}</dd>
        </div>
    }
}

#[component]
fn ShopDetailView(d: ShopDetails, freeze: Action<bool, Result<(), crate::model::CabError>>) -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let s = d.shop.clone();
    let (cls, label) = shop_state(l, &s);
    let created = s.created_at;
    let copied = RwSignal::new(false);
    let id_for_copy = s.shop_id.clone();
    let frozen = s.frozen;
    let category = if s.category_id == 1 {
        t(l, "shop.category.1").to_string()
    } else {
        s.category_id.to_string()
    };
    let bank = move |s: &ShopView| {
        view! {
            <dl class="grid3">
                <Field label=t(l, "shop.bank") value=s.bank_name.clone() />
                <Field label=t(l, "shop.bik") value=s.bik.clone() />
                <Field label=t(l, "shop.corr") value=s.corr_account.clone() />
                <Field label=t(l, "shop.account") value=s.account.clone() />
            </dl>
        }
    };
    view! {
        <article class="card shop-detail" data-testid="shop-detail">
            <h1>{t(l, "shop.details")}</h1>
            <dl class="grid2">
                <Field label=t(l, "shop.name") value=s.name.clone() />
                <Field label=t(l, "shop.url") value=s.url.clone() />
                <div class="kv">
                    <dt>{t(l, "shop.created")}</dt>
                    <dd>{move || datetime(l, created, tz.get())}</dd>
                </div>
                <Field label=t(l, "shop.category") value=category />
                <div class="kv">
                    <dt>{t(l, "shop.status")}</dt>
                    <dd>
                        <span class=format!("badge badge-{cls}") data-testid="shop-state">
                            {label}
                        </span>
                    </dd>
                </div>
                <Field label=t(l, "shop.fee") value=percent(s.fee_bps) />
            </dl>
            <hr />
            <h2>{t(l, "shop.id")}</h2>
            <p class="copy-row">
                <code data-testid="shop-id">{s.shop_id.clone()}</code>
                <button
                    type="button"
                    class="button button-quiet"
                    on:click=move |_| {
                        crate::browser::copy_text(&id_for_copy);
                        copied.set(true);
                    }
                >
                    {move || if copied.get() { t(l, "shop.copied") } else { t(l, "shop.copy") }}
                </button>
            </p>
            <hr />
            <h2>{t(l, "shop.contract")}</h2>
            {match d.contract.clone() {
                Some(c) => {
                    let at = c.created_at;
                    view! {
                        <dl class="grid3">
                            <div class="kv">
                                <dt>{t(l, "shop.created")}</dt>
                                <dd>{move || datetime(l, at, tz.get())}</dd>
                            </div>
                            <Field label=t(l, "shop.legal_name") value=c.legal_name />
                            <Field label=t(l, "shop.inn") value=c.inn />
                            <Field label=t(l, "shop.ogrn") value=c.ogrn />
                            <Field label=t(l, "shop.address") value=c.address />
                            <Field label=t(l, "shop.rep_position") value=c.representative_position />
                            <Field label=t(l, "shop.rep_name") value=c.representative_name />
                            <Field label=t(l, "shop.rep_document") value=c.representative_document />
                        </dl>
                    }
                        .into_any()
                }
                None => view! { <p class="muted">{t(l, "shop.no_contract")}</p> }.into_any(),
            }}
            {bank(&s)}
            <hr />
            <h2>{t(l, "shop.payout")}</h2>
            <dl class="grid3">
                <Field label=t(l, "shop.currency") value=s.currency.clone() />
            </dl>
            {bank(&s)}
            <hr />
            <h2>{t(l, "shop.actions")}</h2>
            <p class="muted">{t(l, "shop.freeze_hint")}</p>
            <p class="form-error" role="alert">
                {move || freeze.value().get().and_then(|r| r.err()).map(|e| error_text(l, &e))}
            </p>
            <button
                type="button"
                class=if frozen { "button" } else { "button button-danger" }
                data-testid="freeze-toggle"
                disabled=move || freeze.pending().get()
                on:click=move |_| {
                    freeze.dispatch(!frozen);
                }
            >
                {if frozen { t(l, "shop.unfreeze") } else { t(l, "shop.freeze") }}
            </button>
        </article>
    }
}
