//! The `ducatpay` service as a library, so integration tests start it exactly as `main` does.

pub mod admin;
pub mod api;
pub mod cabinet_web;
pub mod checkout_web;
pub mod config;
pub mod sandbox_web;
pub mod startup;
pub mod web;
