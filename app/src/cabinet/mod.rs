//! The merchant cabinet: pages under `/cabinet/…`, rendered on the server (readable before the
//! WASM arrives) and hydrated.

mod invoice_new;
mod login;
mod operations;
mod payment;
mod shops;

pub use invoice_new::NewInvoicePage;
pub use login::{LoginPage, ResetPage};
pub use operations::OperationsPage;
pub use shops::{ShopPage, ShopsPage};

use crate::api::{me, Logout};
use crate::i18n::{status_text, t, Locale};
use crate::model::{CabError, CabResult, SessionInfo};
use crate::ui::ui;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// The signed-in user, shared by the pages (CSRF token for their actions).
#[derive(Clone, Copy)]
pub struct MeResource(pub Resource<CabResult<SessionInfo>>);

/// The CSRF token of the current session ("" until it is known; the server then refuses).
pub fn csrf_token() -> String {
    use_context::<MeResource>()
        .and_then(|r| r.0.get_untracked())
        .and_then(Result::ok)
        .map(|m| m.csrf)
        .unwrap_or_default()
}

/// A human message for a failed call.
pub fn error_text(l: Locale, e: &CabError) -> String {
    match e {
        CabError::Unauthorized => t(l, "session.expired").into(),
        CabError::Csrf => t(l, "err.csrf").into(),
        CabError::NotFound => t(l, "err.not_found").into(),
        CabError::BadCredentials => t(l, "login.bad").into(),
        CabError::Blocked => t(l, "login.blocked").into(),
        CabError::Locked { retry_after_secs } => {
            format!(
                "{} {} {}",
                t(l, "login.locked"),
                retry_after_secs,
                t(l, "login.seconds")
            )
        }
        CabError::Invalid { code, message } => {
            let key: Option<&'static str> = match code.as_str() {
                "invalidShopStatus" => Some("err.invalidShopStatus"),
                "invalidPaymentStatus" => Some("err.invalidPaymentStatus"),
                "invoicePaymentAmountExceeded" => Some("err.invoicePaymentAmountExceeded"),
                "amountExceededCaptureBalance" => Some("err.amountExceededCaptureBalance"),
                "invalidDeadline" => Some("err.invalidDeadline"),
                "invalidInvoiceCart" => Some("err.invalidInvoiceCart"),
                "operationNotPermitted" => Some("err.operationNotPermitted"),
                "invalidResetToken" => Some("reset.invalid"),
                _ => None,
            };
            match key {
                Some(k) => t(l, k).into(),
                None => format!("{} ({message})", t(l, "err.generic")),
            }
        }
        CabError::Internal | CabError::Transport(_) => t(l, "err.generic").into(),
    }
}

#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let l = ui().locale;
    let text = status_text(l, &status);
    view! { <span class=format!("badge badge-{status}") data-status=status>{text}</span> }
}

/// Русский / English. Plain links to the server, which sets the cookie and comes back here.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let l = ui().locale;
    let loc = use_location();
    let next = move || {
        let path = loc.pathname.get();
        let search = loc.search.get();
        let target = if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        };
        crate::cabinet::operations::encode(&target)
    };
    view! {
        <nav class="lang" aria-label=t(l, "lang.switch")>
            <a
                href=move || format!("/cabinet/lang/ru?next={}", next())
                rel="external"
                lang="ru"
                aria-current=move || (l == Locale::Ru).then_some("true")
                data-testid="lang-ru"
            >
                "Русский"
            </a>
            <a
                href=move || format!("/cabinet/lang/en?next={}", next())
                rel="external"
                lang="en"
                aria-current=move || (l == Locale::En).then_some("true")
                data-testid="lang-en"
            >
                "English"
            </a>
        </nav>
    }
}

/// The frame of every signed-in page: header, menu, user, sign-out. Sends visitors without a
/// session to the sign-in page.
#[component]
pub fn Cabinet(children: Children) -> impl IntoView {
    let l = ui().locale;
    let me_res = Resource::new(|| (), |_| me());
    provide_context(MeResource(me_res));
    let logout = ServerAction::<Logout>::new();
    let loc = use_location();
    let current = move |prefix: &'static str| {
        let p = loc.pathname.get();
        p.starts_with(prefix).then_some("page")
    };
    view! {
        <div class="cab">
            <header class="cab-header">
                <a class="cab-brand" href="/cabinet/shops">
                    <span class="brand-dot" aria-hidden="true">
                        "D"
                    </span>
                    "DucatPay"
                </a>
                <nav class="cab-nav" aria-label=t(l, "nav.menu")>
                    <a href="/cabinet/shops" aria-current=move || current("/cabinet/shops")>
                        {t(l, "nav.shops")}
                    </a>
                    <a
                        href="/cabinet/operations/payments"
                        aria-current=move || current("/cabinet/operations")
                    >
                        {t(l, "nav.operations")}
                    </a>
                </nav>
                <div class="cab-user">
                    <LangSwitch />
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            match me_res.await {
                                Ok(m) => {
                                    view! {
                                        <span class="cab-email" data-testid="user-email">
                                            {m.email.clone()}
                                        </span>
                                        <ActionForm action=logout>
                                            <input type="hidden" name="csrf" value=m.csrf.clone() />
                                            <button type="submit" class="button button-quiet" data-testid="logout">
                                                {t(l, "nav.logout")}
                                            </button>
                                        </ActionForm>
                                    }
                                        .into_any()
                                }
                                Err(CabError::Unauthorized) => {
                                    view! { <Redirect path="/cabinet/login" /> }.into_any()
                                }
                                Err(_) => ().into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </header>
            <main class="cab-main" id="main">
                {children()}
            </main>
        </div>
    }
}
