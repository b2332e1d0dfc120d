//! "Create invoice": shop, due date, product, description and cart lines with a running
//! total; the result shows the checkout link to copy.

use super::{csrf_token, error_text, Cabinet};
use crate::api::{create_invoice, shops};
use crate::fmt::{date_input, money, parse_money};
use crate::i18n::t;
use crate::model::{NewInvoice, NewLine};
use crate::ui::ui;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct Line {
    id: usize,
    product: RwSignal<String>,
    price: RwSignal<String>,
    quantity: RwSignal<String>,
    tax: RwSignal<String>,
}

impl Line {
    fn new(id: usize) -> Line {
        Line {
            id,
            product: RwSignal::new(String::new()),
            price: RwSignal::new(String::new()),
            quantity: RwSignal::new("1".into()),
            tax: RwSignal::new("none".into()),
        }
    }
    fn total(&self) -> Option<i64> {
        let price = parse_money(&self.price.get())?;
        let q: i64 = self.quantity.get().trim().parse().ok()?;
        price.checked_mul(q)
    }
}

#[component]
pub fn NewInvoicePage() -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let shop_list = Resource::new(|| (), |_| shops());
    let shop = RwSignal::new(String::new());
    let week = 7 * 86_400_000_000i64;
    let due = RwSignal::new(date_input(
        crate::browser::now_micros().max(0) + week,
        tz.get_untracked(),
    ));
    // The server has no browser clock; fill the default due date once hydrated.
    Effect::new(move |_| {
        if due.get_untracked().starts_with("1970") {
            due.set(date_input(crate::browser::now_micros() + week, tz.get_untracked()));
        }
    });
    let product = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let next_id = StoredValue::new(1usize);
    let lines = RwSignal::new(vec![Line::new(0)]);
    let total = move || lines.get().iter().map(|ln| ln.total().unwrap_or(0)).sum::<i64>();
    let local_error = RwSignal::new(None::<&'static str>);
    let submit = Action::new(move |inv: &NewInvoice| {
        let inv = inv.clone();
        let csrf = csrf_token();
        async move { create_invoice(csrf, inv).await }
    });
    let copied = RwSignal::new(false);

    let add_line = move |_| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        lines.update(|v| v.push(Line::new(id)));
    };
    let clear = move |_| {
        product.set(String::new());
        description.set(String::new());
        lines.set(vec![Line::new(next_id.get_value())]);
        next_id.update_value(|n| *n += 1);
        local_error.set(None);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut out = Vec::new();
        for ln in lines.get_untracked() {
            let price = parse_money(&ln.price.get_untracked());
            let q: Option<i64> = ln.quantity.get_untracked().trim().parse().ok();
            let name = ln.product.get_untracked();
            match (price, q) {
                (Some(p), Some(q)) if p >= 1 && q >= 1 && !name.trim().is_empty() => out.push(NewLine {
                    product: name,
                    price: p,
                    quantity: q,
                    tax: ln.tax.get_untracked(),
                }),
                _ => {
                    local_error.set(Some(t(l, "inv.bad_line")));
                    return;
                }
            }
        }
        let shop_id = shop.get_untracked();
        let shop_id = if shop_id.is_empty() {
            shop_list
                .get_untracked()
                .and_then(Result::ok)
                .and_then(|s| s.first().map(|s| s.shop_id.clone()))
                .unwrap_or_default()
        } else {
            shop_id
        };
        if shop_id.is_empty() || product.get_untracked().trim().is_empty() || due.get_untracked().is_empty() {
            local_error.set(Some(t(l, "inv.required")));
            return;
        }
        local_error.set(None);
        submit.dispatch(NewInvoice {
            shop_id,
            due: due.get_untracked(),
            product: product.get_untracked(),
            description: description.get_untracked(),
            lines: out,
            tz: tz.get_untracked(),
        });
    };
    let error = move || {
        local_error
            .get()
            .map(str::to_string)
            .or_else(|| submit.value().get().and_then(|r| r.err()).map(|e| error_text(l, &e)))
    };
    let created = move || submit.value().get().and_then(|r| r.ok());

    view! {
        <Title text=format!("{} · DucatPay", t(l, "inv.title")) />
        <Cabinet>
            <p>
                <a href="/cabinet/operations/invoices">"← " {t(l, "ops.tab.invoices")}</a>
            </p>
            <section class="card invoice-form" aria-labelledby="inv-title">
                <h1 id="inv-title">{t(l, "inv.title")}</h1>
                <Show
                    when=move || created().is_some()
                    fallback=move || {
                        view! {
                            <form on:submit=on_submit data-testid="invoice-form">
                                <div class="field">
                                    <label for="inv-shop">{t(l, "inv.shop")} " *"</label>
                                    <select
                                        id="inv-shop"
                                        on:change=move |ev| shop.set(event_target_value(&ev))
                                        data-testid="inv-shop"
                                    >
                                        <Suspense fallback=|| ()>
                                            {move || Suspend::new(async move {
                                                shop_list
                                                    .await
                                                    .unwrap_or_default()
                                                    .into_iter()
                                                    .map(|s| {
                                                        view! { <option value=s.shop_id.clone()>{s.name.clone()}</option> }
                                                    })
                                                    .collect_view()
                                            })}
                                        </Suspense>
                                    </select>
                                </div>
                                <div class="field">
                                    <label for="inv-due">{t(l, "inv.due")} " *"</label>
                                    <input id="inv-due" type="date" required bind:value=due data-testid="inv-due" />
                                </div>
                                <div class="field">
                                    <label for="inv-product">{t(l, "inv.product")} " *"</label>
                                    <input
                                        id="inv-product"
                                        required
                                        maxlength="100"
                                        bind:value=product
                                        data-testid="inv-product"
                                    />
                                </div>
                                <div class="field">
                                    <label for="inv-description">{t(l, "inv.description")}</label>
                                    <textarea
                                        id="inv-description"
                                        maxlength="1000"
                                        rows="2"
                                        bind:value=description
                                    ></textarea>
                                </div>
                                <fieldset class="lines">
                                    <legend>{t(l, "inv.lines")}</legend>
                                    <For each=move || lines.get() key=|ln| ln.id let:ln>
                                        <div class="line" data-testid="inv-line">
                                            <div class="field grow">
                                                <label for=format!("ln-p-{}", ln.id)>{t(l, "inv.line_product")} " *"</label>
                                                <input
                                                    id=format!("ln-p-{}", ln.id)
                                                    maxlength="1000"
                                                    bind:value=ln.product
                                                    data-testid="line-product"
                                                />
                                            </div>
                                            <div class="field">
                                                <label for=format!("ln-c-{}", ln.id)>{t(l, "inv.price")} " *"</label>
                                                <input
                                                    id=format!("ln-c-{}", ln.id)
                                                    inputmode="decimal"
                                                    bind:value=ln.price
                                                    data-testid="line-price"
                                                />
                                            </div>
                                            <div class="field small">
                                                <label for=format!("ln-q-{}", ln.id)>{t(l, "inv.quantity")} " *"</label>
                                                <input
                                                    id=format!("ln-q-{}", ln.id)
                                                    type="number"
                                                    min="1"
                                                    bind:value=ln.quantity
                                                    data-testid="line-quantity"
                                                />
                                            </div>
                                            <div class="field">
                                                <label for=format!("ln-t-{}", ln.id)>{t(l, "inv.tax")} " *"</label>
                                                <select
                                                    id=format!("ln-t-{}", ln.id)
                                                    on:change=move |ev| ln.tax.set(event_target_value(&ev))
                                                >
                                                    <option value="none">{t(l, "inv.tax.none")}</option>
                                                    <option value="0%">"НДС 0%"</option>
                                                    <option value="10%">"НДС 10%"</option>
                                                    <option value="20%">"НДС 20%"</option>
                                                </select>
                                            </div>
                                            <button
                                                type="button"
                                                class="button button-quiet"
                                                disabled=move || lines.get().len() < 2
                                                on:click=move |_| lines.update(|v| v.retain(|x| x.id != ln.id))
                                            >
                                                {t(l, "inv.remove_line")}
                                            </button>
                                        </div>
                                    </For>
                                </fieldset>
                                <p class="total">
                                    {t(l, "inv.total")} " "
                                    <strong data-testid="inv-total">{move || money(l, total(), "RUB")}</strong>
                                    " "
                                    <button type="button" class="button button-quiet" on:click=add_line data-testid="add-line">
                                        {t(l, "inv.add_line")}
                                    </button>
                                </p>
                                <p class="form-error" role="alert" data-testid="inv-error">
                                    {error}
                                </p>
                                <div class="button-row">
                                    <button type="button" class="button button-quiet" on:click=clear>
                                        {t(l, "inv.clear")}
                                    </button>
                                    <button
                                        type="submit"
                                        class="button"
                                        data-testid="inv-submit"
                                        disabled=move || submit.pending().get()
                                    >
                                        {t(l, "inv.submit")}
                                    </button>
                                </div>
                            </form>
                        }
                    }
                >
                    {move || {
                        created()
                            .map(|c| {
                                let url = c.checkout_url.clone();
                                let url_text = url.clone();
                                let url2 = url.clone();
                                view! {
                                    <p class="form-ok" role="status">
                                        {t(l, "inv.created")}
                                    </p>
                                    <p class="copy-row">
                                        <a href=url rel="external" target="_blank" data-testid="checkout-link" data-invoice=c.invoice_id.clone()>
                                            {url_text}
                                        </a>
                                        <button
                                            type="button"
                                            class="button button-quiet"
                                            on:click=move |_| {
                                                crate::browser::copy_text(&url2);
                                                copied.set(true);
                                            }
                                        >
                                            {move || if copied.get() { t(l, "shop.copied") } else { t(l, "shop.copy") }}
                                        </button>
                                    </p>
                                    <p>
                                        <a href="/cabinet/operations/invoices">{t(l, "ops.tab.invoices")}</a>
                                    </p>
                                }
                            })
                    }}
                </Show>
            </section>
        </Cabinet>
    }
}
