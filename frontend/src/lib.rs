//! Browser entry point: the WASM bundle that hydrates the server-rendered page.
//!
//! `HydrationScripts` (in `app::shell`) loads `/pkg/ducatpay.js`, initialises the module with
//! `/pkg/ducatpay_bg.wasm` and then calls the exported `hydrate`.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
