//! DucatPay's Leptos UI, shared by server-side rendering (`ssr`) and the
//! browser bundle (`hydrate`).
// The cabinet's payment card is one deeply nested view type.
#![recursion_limit = "512"]

pub mod api;
mod browser;
pub mod cabinet;
pub mod fmt;
pub mod i18n;
pub mod model;
pub mod ui;

use cabinet::{LoginPage, NewInvoicePage, OperationsPage, ResetPage, ShopPage, ShopsPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Meta, MetaTags, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// Path of the stylesheet that `scripts/build-site.sh` copies from `style/main.css`.
pub const STYLESHEET_PATH: &str = "/pkg/ducatpay.css";

/// Inline, so browsers do not ask for a `/favicon.ico` that nothing serves.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='15' fill='%23b8862b'/%3E%3Ctext x='16' y='22' font-family='sans-serif' font-size='17' font-weight='700' fill='white' text-anchor='middle'%3ED%3C/text%3E%3C/svg%3E";

/// The HTML document the server streams around [`App`].
///
/// Only `<body>` is hydrated in the browser (`hydrate_body(App)`), so everything in
/// `<head>` is server-only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=ui::request_locale().code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=STYLESHEET_PATH />
                <link rel="icon" href=FAVICON />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ui::provide_ui();

    view! {
        <Title text="DucatPay" />
        <Meta
            name="description"
            content="DucatPay: an open-source internet-acquiring service with a Payments API, hosted checkout and merchant cabinet."
        />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=HomePage />
                <Route
                    path=StaticSegment("cabinet")
                    view=|| view! { <Redirect path="/cabinet/shops" /> }
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("login"))
                    view=LoginPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("reset-password"))
                    view=ResetPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("shops"))
                    view=ShopsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("shops"), ParamSegment("shop_id"))
                    view=ShopPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("operations"), StaticSegment("payments"))
                    view=|| view! { <OperationsPage tab="payments" /> }
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("operations"), StaticSegment("invoices"))
                    view=|| view! { <OperationsPage tab="invoices" /> }
                    ssr=SsrMode::Async
                />
                <Route
                    path=(
                        StaticSegment("cabinet"),
                        StaticSegment("operations"),
                        StaticSegment("invoices"),
                        StaticSegment("new"),
                    )
                    view=NewInvoicePage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("cabinet"), StaticSegment("operations"), StaticSegment("refunds"))
                    view=|| view! { <OperationsPage tab="refunds" /> }
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
}

/// Start page. Rendered fully on the server; the "Check hydration" button and the
/// `data-hydrated` marker only come alive once the WASM bundle has hydrated the page.
#[component]
fn HomePage() -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    // Effects never run during SSR, so this flips only in the browser after hydration.
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="hero">
                <p class="brand-mark" aria-hidden="true">
                    "D"
                </p>
                <h1>"DucatPay"</h1>
                <p class="subtitle" lang="ru">
                    "Открытый сервис интернет-эквайринга"
                </p>
                <p class="lead">
                    "An open-source internet-acquiring service: accept card payments on your site "
                    "through one Payments API, send buyers to a hosted checkout page, and follow "
                    "every invoice, refund and payout in the merchant cabinet."
                </p>
            </header>

            <section class="features" aria-label="Product">
                <article class="card">
                    <h2>"Payments API"</h2>
                    <p>"Invoices, payments, refunds and webhooks over a small JSON REST API."</p>
                </article>
                <article class="card">
                    <h2>"Hosted checkout"</h2>
                    <p>"A payment page served by DucatPay that works with and without JavaScript."</p>
                </article>
                <article class="card">
                    <h2>"Merchant cabinet"</h2>
                    <p>"Shops, operations, refunds and invoices in one place."</p>
                    <p>
                        <a href="/cabinet/login" data-testid="cabinet-link">
                            "Sign in to the cabinet"
                        </a>
                    </p>
                </article>
            </section>

            <section class="status card" aria-labelledby="status-title">
                <h2 id="status-title">"API status"</h2>
                <dl>
                    <dt>"Version"</dt>
                    <dd>
                        <code>{env!("CARGO_PKG_VERSION")}</code>
                    </dd>
                    <dt>"Health check"</dt>
                    <dd>
                        <a href="/health">
                            <code>"GET /health"</code>
                        </a>
                    </dd>
                    <dt>"Page"</dt>
                    <dd data-testid="hydration-state">
                        <span class=move || {
                            if hydrated.get() { "dot dot-ok" } else { "dot dot-wait" }
                        } />
                        {move || {
                            if hydrated.get() {
                                "interactive (hydrated)"
                            } else {
                                "server-rendered, waiting for WASM"
                            }
                        }}
                    </dd>
                </dl>
            </section>

            <HydrationCheck />
        </div>
    }
}

/// A counter that can only change after hydration: before it, the button has no handler.
#[component]
fn HydrationCheck() -> impl IntoView {
    let (count, set_count) = signal(0u32);

    view! {
        <section class="hydration card">
            <button
                type="button"
                class="button"
                data-testid="hydration-button"
                on:click=move |_| *set_count.write() += 1
            >
                "Check hydration"
            </button>
            <p>
                "Clicks handled in the browser: "
                <strong data-testid="hydrated-count">{count}</strong>
            </p>
        </section>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <Title text="Not found · DucatPay" />
        <div class="page">
            <section class="card not-found">
                <h1>"404"</h1>
                <p>"There is no page at this address."</p>
                <p>
                    <a href="/">"Back to DucatPay"</a>
                </p>
            </section>
        </div>
    }
}
