//! Browser entry of the hosted checkout. The page is rendered on the server; only the payment
//! form is an island (`ducatpay_checkout::form::CheckoutForm`), so this bundle holds the form's
//! code and Leptos' reactive core, nothing of the cabinet or the router.
//!
//! `HydrationScripts` (islands mode) loads `/checkout-pkg/checkout.js`, calls `hydrate` and then
//! the island's exported hydration function for each `<leptos-island>`.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    ducatpay_checkout::hydrate();
}
