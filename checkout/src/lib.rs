//! DucatPay's hosted checkout (`/v1/checkout.html`): the buyer's payment page.
//!
//! The page is rendered on the server ([`page`], feature `ssr`) and works as a plain HTML form.
//! Its one island ([`form::CheckoutForm`]) is hydrated by a WASM bundle of its own
//! (`checkout-frontend`, feature `hydrate`), so the buyer downloads the form's code and Leptos'
//! reactive core — nothing of the cabinet, the router or serde.

// The form island is one statically typed view (no `AnyView` boxing, which costs the browser
// bundle ~20 KB gzipped); its SSR type is deep.
#![recursion_limit = "256"]

pub mod card;
pub mod form;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod page;

/// The embed script merchants put on their pages (served at `/checkout.js`).
pub const EMBED_JS: &str = include_str!("../checkout.js");

/// The checkout's stylesheet, inlined into the page so the form is styled at first paint.
pub const STYLE: &str = include_str!("../style.css");

/// Browser entry: hydrates the islands of the server-rendered page.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
