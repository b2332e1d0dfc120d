//! The whole checkout document, rendered on the server. Everything outside the form island is
//! static HTML (header, payment details, scheme logos), so it costs the WASM bundle nothing.

use crate::form::{CheckoutForm, FormConfig};
use crate::i18n::{Locale, Texts};
use leptos::config::LeptosOptions;
use leptos::prelude::*;

/// Name of the wasm-bindgen output: `/checkout-pkg/checkout-page.js` and `checkout-page_bg.wasm`.
pub const OUTPUT_NAME: &str = "checkout-page";
/// Where `scripts/build-site.sh` puts the checkout bundle under the site root.
pub const PKG_DIR: &str = "checkout-pkg";

#[derive(Debug, Clone)]
pub struct CartLine {
    pub product: String,
    pub quantity: i64,
    pub price: String,
    pub cost: String,
}

/// Shop header and payment details.
#[derive(Debug, Clone)]
pub struct Summary {
    pub shop_name: String,
    /// http(s) URL or `data:image/…` (checked when branding is set).
    pub logo_url: Option<String>,
    /// `#rrggbb` (checked when branding is set).
    pub button_colour: Option<String>,
    pub amount: String,
    pub product: String,
    pub description: Option<String>,
    pub cart: Vec<CartLine>,
    pub invoice_id: String,
}

/// What the page shows under the header.
#[derive(Debug, Clone)]
pub enum Body {
    /// The payment form (or a result screen inside the same island).
    Form(Box<FormConfig>),
    /// An end state without a form: already paid, cancelled, overdue, bad link…
    /// `state` names it for tests and `checkout.js` (`data-state`).
    State {
        state: &'static str,
        title: String,
        line: String,
        /// A form that continues an unfinished 3-D Secure: (issuer URL, fields).
        resume: Option<(String, Vec<(String, String)>)>,
    },
}

/// Settings of the islands bundle.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_pkg_dir(PKG_DIR)
        .build()
}

/// Renders the complete HTML document.
pub fn render(locale: Locale, summary: Option<Summary>, body: Body) -> String {
    let owner = Owner::new_root(None);
    owner.with(move || {
        if let Body::Form(cfg) = &body {
            provide_context((**cfg).clone());
        }
        document(locale, summary, body).to_html()
    })
}

fn document(locale: Locale, summary: Option<Summary>, body: Body) -> impl IntoView {
    let t = locale.texts();
    let title = match &summary {
        Some(s) => format!("{} · {}", t.title, s.shop_name),
        None => t.title.to_string(),
    };
    let accent = summary
        .as_ref()
        .and_then(|s| s.button_colour.clone())
        .map(|c| format!("--dp-accent:{c}"));
    let islands = matches!(body, Body::Form(_));
    view! {
        <!DOCTYPE html>
        <html lang=locale.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="referrer" content="no-referrer" />
                <title>{title}</title>
                <link rel="icon" href="data:," />
                <style inner_html=crate::STYLE></style>
                {islands.then(|| view! { <HydrationScripts options=leptos_options() islands=true /> })}
            </head>
            <body style=accent>
                <main class="dp-card">
                    {summary.map(|s| header(t, s))}
                    {body_view(t, body)}
                    <footer class="dp-foot">
                        <div class="dp-schemes" aria-label="МИР, Visa, Mastercard, Maestro, American Express">
                            <span class="dp-scheme dp-s-mir">"МИР"</span>
                            <span class="dp-scheme dp-s-visa">"VISA"</span>
                            <span class="dp-scheme dp-s-mc" title="Mastercard">
                                <i></i>
                                <i></i>
                            </span>
                            <span class="dp-scheme dp-s-maestro">"Maestro"</span>
                            <span class="dp-scheme dp-s-amex">"AMEX"</span>
                        </div>
                        <p>{t.secure_note}</p>
                    </footer>
                </main>
            </body>
        </html>
    }
}

fn header(t: &'static Texts, s: Summary) -> impl IntoView {
    let initial = s.shop_name.chars().next().unwrap_or('D').to_uppercase().to_string();
    let logo = match s.logo_url.clone() {
        Some(url) => view! { <img class="dp-logo" src=url alt="" data-testid="shop-logo" /> }.into_any(),
        None => view! { <span class="dp-logo dp-letter" aria-hidden="true">{initial}</span> }.into_any(),
    };
    view! {
        <header class="dp-head">
            {logo}
            <div>
                <p class="dp-shop" data-testid="shop-name">{s.shop_name.clone()}</p>
                <p class="dp-total" data-testid="amount">{s.amount.clone()}</p>
            </div>
        </header>
        <details class="dp-details" data-testid="details">
            <summary>{t.details}</summary>
            <p class="dp-product">{s.product.clone()}</p>
            {s.description.clone().map(|d| view! { <p class="dp-desc">{d}</p> })}
            {(!s.cart.is_empty())
                .then(|| {
                    view! {
                        <table class="dp-cart">
                            <tbody>
                                {s
                                    .cart
                                    .iter()
                                    .map(|l| {
                                        view! {
                                            <tr>
                                                <td>{l.product.clone()}</td>
                                                <td class="dp-num">{format!("{} × {}", l.quantity, l.price)}</td>
                                                <td class="dp-num">{l.cost.clone()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                            <tfoot>
                                <tr>
                                    <td colspan="2">{t.total}</td>
                                    <td class="dp-num">{s.amount.clone()}</td>
                                </tr>
                            </tfoot>
                        </table>
                    }
                })}
            <p class="dp-inv">{t.invoice} " " <code>{s.invoice_id.clone()}</code></p>
        </details>
    }
}

/// `<div id="dp-config" hidden data-…>` for the island to read in the browser.
fn config_html(cfg: &FormConfig) -> String {
    let mut html = String::from("<div id=\"dp-config\" hidden");
    for (k, v) in cfg.attrs() {
        html.push_str(" data-");
        html.push_str(&k);
        html.push_str("=\"");
        for ch in v.chars() {
            match ch {
                '&' => html.push_str("&amp;"),
                '"' => html.push_str("&quot;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                c => html.push(c),
            }
        }
        html.push('"');
    }
    html.push_str("></div>");
    html
}

fn body_view(t: &'static Texts, body: Body) -> impl IntoView {
    match body {
        Body::Form(cfg) => view! {
            <div class="dp-cfg" inner_html=config_html(&cfg)></div>
            <CheckoutForm />
        }
        .into_any(),
        Body::State {
            state,
            title,
            line,
            resume,
        } => view! {
            <section class="dp-result" data-testid="state" data-state=state role="status">
                <h2 data-testid="state-title">{title}</h2>
                <p class="dp-reason">{line}</p>
                {resume
                    .map(|(url, fields)| {
                        view! {
                            <form method="post" action=url>
                                {fields
                                    .into_iter()
                                    .map(|(k, v)| view! { <input type="hidden" name=k value=v /> })
                                    .collect_view()}
                                <button class="dp-pay" type="submit">
                                    {t.continue_3ds}
                                </button>
                            </form>
                        }
                    })}
            </section>
        }
        .into_any(),
    }
}
