//! The payment card under a payment's row: amounts, commission, status history, invoice,
//! payer, refunds with the refund dialog, capture/cancel of a hold, and the receipt.

use super::operations::{encode, Reload};
use super::{csrf_token, error_text, StatusBadge};
use crate::api::{cancel, capture, payment_card, refund};
use crate::fmt::{datetime, money, parse_money, percent};
use crate::i18n::{payment_error_text, status_text, t};
use crate::model::{CabError, PaymentCardView};
use crate::ui::ui;
use leptos::prelude::*;

#[component]
pub fn PaymentCard(invoice_id: String, payment_id: String) -> impl IntoView {
    let l = ui().locale;
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let (inv, pay) = (invoice_id.clone(), payment_id.clone());
    let card = Resource::new(move || reload.get(), move |_| payment_card(inv.clone(), pay.clone()));
    view! {
        <Suspense fallback=move || view! { <p>{t(l, "ops.loading")}</p> }>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(c) => view! { <CardBody c=c /> }.into_any(),
                    Err(e) => view! { <p class="form-error">{error_text(l, &e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CardBody(c: PaymentCardView) -> impl IntoView {
    let u = ui();
    let l = u.locale;
    let tz = u.tz;
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let r = c.row.clone();
    let cur = r.currency.clone();
    let charged = if c.captured_amount > 0 {
        c.captured_amount
    } else {
        r.amount
    };
    let net = charged - c.fee;
    let created = r.created_at;
    let show_refund = RwSignal::new(false);
    let invoice_href = format!("/cabinet/operations/invoices?invoice={}", encode(&r.invoice_id));
    let receipt_href = format!("/cabinet/receipt/{}/{}", encode(&r.invoice_id), encode(&r.payment_id));
    let receipt = matches!(r.status.as_str(), "captured" | "refunded");
    let inv = r.invoice_id.clone();
    let pay = r.payment_id.clone();

    // Capture (full or partial) and cancel of a held payment.
    let partial_capture = RwSignal::new(false);
    let capture_amount = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let (ci, cp) = (inv.clone(), pay.clone());
    let do_capture = Action::new(move |amount: &Option<i64>| {
        let (i, p, a, csrf) = (ci.clone(), cp.clone(), *amount, csrf_token());
        async move { capture(csrf, i, p, a).await }
    });
    let (xi, xp) = (inv.clone(), pay.clone());
    let do_cancel = Action::new(move |_: &()| {
        let (i, p, csrf) = (xi.clone(), xp.clone(), csrf_token());
        async move { cancel(csrf, i, p).await }
    });
    Effect::new(move |_| {
        let ok = matches!(do_capture.value().get(), Some(Ok(()))) || matches!(do_cancel.value().get(), Some(Ok(())));
        if ok {
            reload.update(|n| *n += 1);
        }
    });
    let action_error = move || {
        local_error.get().or_else(|| {
            do_capture
                .value()
                .get()
                .and_then(|r| r.err())
                .or_else(|| do_cancel.value().get().and_then(|r| r.err()))
                .map(|e| error_text(l, &e))
        })
    };
    let held = r.amount;
    let on_capture = move |_| {
        if partial_capture.get_untracked() {
            match parse_money(&capture_amount.get_untracked()) {
                Some(a) if a >= 1 && a <= held => {
                    local_error.set(None);
                    do_capture.dispatch(Some(a));
                }
                Some(a) if a > held => local_error.set(Some(t(l, "err.amountExceededCaptureBalance").into())),
                _ => local_error.set(Some(t(l, "refund.bad_amount").into())),
            }
        } else {
            local_error.set(None);
            do_capture.dispatch(None);
        }
    };
    let on_cancel = move |_| {
        if crate::browser::confirm(t(l, "pay.cancel_confirm")) {
            do_cancel.dispatch(());
        }
    };

    view! {
        <section class="pay-card" data-testid="payment-card" aria-label=format!("{} {}", t(l, "pay.number"), r.payment_id)>
            <header class="pay-card-head">
                <h2>
                    {t(l, "pay.number")} {format!("{}.{}", r.invoice_id, r.payment_id)}
                </h2>
                <span class="muted">{move || datetime(l, created, tz.get())}</span>
            </header>
            <dl class="grid3">
                <div class="kv">
                    <dt>{t(l, "pay.amount")}</dt>
                    <dd data-testid="card-amount">{money(l, r.amount, &cur)}</dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.charged")}</dt>
                    <dd data-testid="card-charged">{money(l, charged, &cur)}</dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.fee")}</dt>
                    <dd data-testid="card-fee">{format!("{} ({})", money(l, c.fee, &cur), percent(c.fee_bps))}</dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.net")}</dt>
                    <dd>{money(l, net, &cur)}</dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.status")}</dt>
                    <dd data-testid="card-status">
                        <StatusBadge status=r.status.clone() />
                        " "
                        <span class="muted">
                            {if r.hold { t(l, "pay.flow.hold") } else { t(l, "pay.flow.instant") }}
                        </span>
                    </dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.invoice")}</dt>
                    <dd>
                        <a href=invoice_href>{r.invoice_id.clone()}</a>
                        " · "
                        {r.product.clone()}
                        " · "
                        {status_text(l, &c.invoice_status)}
                    </dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.payer")}</dt>
                    <dd>{r.email.clone().unwrap_or_else(|| "—".into())}</dd>
                </div>
                <div class="kv">
                    <dt>{t(l, "pay.card")}</dt>
                    <dd class="mono">{r.card_mask.clone().unwrap_or_else(|| "—".into())}</dd>
                </div>
                {r.error
                    .clone()
                    .map(|e| {
                        view! {
                            <div class="kv">
                                <dt>{t(l, "pay.error")}</dt>
                                <dd class="form-error" data-testid="card-error">
                                    {payment_error_text(l, &e)}
                                </dd>
                            </div>
                        }
                    })}
            </dl>
            <h3>{t(l, "pay.history")}</h3>
            <ol class="history">
                {c.history
                    .iter()
                    .map(|(at, st)| {
                        let at = *at;
                        view! {
                            <li>
                                <StatusBadge status=st.clone() />
                                " "
                                <span class="muted">{move || datetime(l, at, tz.get())}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            {c.can_capture
                .then(|| {
                    view! {
                        <div class="hold-box" data-testid="hold-box">
                            <p>
                                {t(l, "pay.hold")} " "
                                {c.held_until.map(|h| move || datetime(l, h, tz.get()))}
                            </p>
                            <label class="check">
                                <input type="checkbox" bind:checked=partial_capture data-testid="capture-partial" />
                                {t(l, "pay.capture_partial")}
                            </label>
                            <Show when=move || partial_capture.get()>
                                <div class="field">
                                    <label for="capture-amount">{t(l, "pay.capture_amount")}</label>
                                    <input
                                        id="capture-amount"
                                        inputmode="decimal"
                                        bind:value=capture_amount
                                        data-testid="capture-amount"
                                    />
                                </div>
                            </Show>
                            <div class="button-row">
                                <button
                                    type="button"
                                    class="button"
                                    data-testid="capture"
                                    disabled=move || do_capture.pending().get() || do_cancel.pending().get()
                                    on:click=on_capture
                                >
                                    {t(l, "pay.capture")}
                                </button>
                                <button
                                    type="button"
                                    class="button button-danger"
                                    data-testid="cancel-payment"
                                    disabled=move || do_capture.pending().get() || do_cancel.pending().get()
                                    on:click=on_cancel
                                >
                                    {t(l, "pay.cancel")}
                                </button>
                            </div>
                        </div>
                    }
                })}
            <p class="form-error" role="alert">
                {action_error}
            </p>
            <h3>{t(l, "pay.refunds")}</h3>
            {if c.refunds.is_empty() {
                view! { <p class="muted" data-testid="no-refunds">{t(l, "pay.no_refunds")}</p> }.into_any()
            } else {
                view! {
                    <ul class="refund-list" data-testid="card-refunds">
                        {c.refunds
                            .iter()
                            .map(|rf| {
                                let at = rf.created_at;
                                view! {
                                    <li data-testid="card-refund">
                                        <strong>{money(l, rf.amount, &rf.currency)}</strong>
                                        " "
                                        <StatusBadge status=rf.status.clone() />
                                        " "
                                        <span class="muted">{move || datetime(l, at, tz.get())}</span>
                                        " "
                                        {rf.reason.clone().unwrap_or_default()}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {(c.refundable > 0)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button"
                            data-testid="make-refund"
                            on:click=move |_| show_refund.set(true)
                        >
                            {t(l, "pay.make_refund")}
                        </button>
                    }
                })}
            {receipt
                .then(|| {
                    view! {
                        <h3>{t(l, "pay.documents")}</h3>
                        <a href=receipt_href class="button button-quiet" rel="external" download data-testid="receipt">
                            {t(l, "pay.download")}
                        </a>
                    }
                })}
            <Show when=move || show_refund.get()>
                <RefundDialog
                    invoice_id=inv.clone()
                    payment_id=pay.clone()
                    available=c.refundable
                    currency=cur.clone()
                    open=show_refund
                />
            </Show>
        </section>
    }
}

/// The manual's refund window: reason (≤ 100 characters, with a counter), "partial refund" with
/// an amount, what is left to refund. Checks what the API checks; the server checks again.
#[component]
fn RefundDialog(
    invoice_id: String,
    payment_id: String,
    available: i64,
    currency: String,
    open: RwSignal<bool>,
) -> impl IntoView {
    let l = ui().locale;
    let reload = use_context::<Reload>().map(|r| r.0).unwrap_or(RwSignal::new(0));
    let reason = RwSignal::new(String::new());
    let partial = RwSignal::new(false);
    let amount = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<&'static str>);
    let send = Action::new(move |args: &(String, String, String, Option<i64>)| {
        let (i, p, r, a) = args.clone();
        let csrf = csrf_token();
        async move { refund(csrf, i, p, r, a).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            open.set(false);
            reload.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked();
        if why.chars().count() > 100 {
            local_error.set(Some(t(l, "refund.reason_long")));
            return;
        }
        let a = if partial.get_untracked() {
            match parse_money(&amount.get_untracked()) {
                Some(a) if a >= 1 && a <= available => Some(a),
                Some(a) if a > available => {
                    local_error.set(Some(t(l, "refund.too_much")));
                    return;
                }
                _ => {
                    local_error.set(Some(t(l, "refund.bad_amount")));
                    return;
                }
            }
        } else {
            None
        };
        local_error.set(None);
        send.dispatch((invoice_id.clone(), payment_id.clone(), why, a));
    };
    let error = move || {
        local_error.get().map(str::to_string).or_else(|| {
            send.value()
                .get()
                .and_then(|r| r.err())
                .map(|e: CabError| error_text(l, &e))
        })
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    view! {
        <div class="modal-backdrop" on:keydown=on_key>
            <div class="modal card" role="dialog" aria-modal="true" aria-labelledby="refund-title" data-testid="refund-dialog">
                <header class="modal-head">
                    <h2 id="refund-title">{t(l, "refund.title")}</h2>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=t(l, "refund.close")
                        on:click=move |_| open.set(false)
                    >
                        "✕"
                    </button>
                </header>
                <form on:submit=submit>
                    <div class="field">
                        <label for="refund-reason">{t(l, "refund.reason")}</label>
                        <textarea
                            id="refund-reason"
                            maxlength="100"
                            rows="3"
                            bind:value=reason
                            data-testid="refund-reason"
                            autofocus
                        ></textarea>
                        <span class="counter muted" aria-live="polite" data-testid="refund-counter">
                            {move || format!("{} / 100", reason.get().chars().count())}
                        </span>
                    </div>
                    <label class="check">
                        <input type="checkbox" bind:checked=partial data-testid="refund-partial" />
                        {t(l, "refund.partial")}
                    </label>
                    <Show when=move || partial.get()>
                        <div class="field">
                            <label for="refund-amount">{t(l, "refund.amount")} " *"</label>
                            <input
                                id="refund-amount"
                                inputmode="decimal"
                                required
                                bind:value=amount
                                data-testid="refund-amount"
                            />
                        </div>
                    </Show>
                    <p class="muted" data-testid="refund-available">
                        {t(l, "refund.available")} " " {money(l, available, &currency)}
                    </p>
                    <p class="form-error" role="alert" data-testid="refund-error">
                        {error}
                    </p>
                    <button
                        type="submit"
                        class="button button-wide"
                        data-testid="refund-confirm"
                        disabled=move || send.pending().get()
                    >
                        {t(l, "refund.confirm")}
                    </button>
                </form>
            </div>
        </div>
    }
}
