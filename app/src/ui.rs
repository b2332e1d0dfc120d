//! Per-request UI settings: the language (cookie `dp_lang`, switched by `/cabinet/lang/{ru|en}`)
//! and the user's UTC offset (cookie `dp_tz`, written by the browser after hydration).

use crate::i18n::Locale;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Ui {
    pub locale: Locale,
    /// Minutes east of UTC.
    pub tz: RwSignal<i32>,
}

pub const LANG_COOKIE: &str = "dp_lang";
pub const TZ_COOKIE: &str = "dp_tz";

#[cfg(feature = "ssr")]
fn request_settings() -> (Locale, i32) {
    use leptos::prelude::use_context;
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return (Locale::Ru, 0);
    };
    let cookie = |name: &str| crate::api::cookie_value(&parts.headers, name);
    let locale = cookie(LANG_COOKIE)
        .and_then(|v| Locale::parse(&v))
        .or_else(|| {
            parts
                .headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.trim_start().starts_with("en"))
                .map(|_| Locale::En)
        })
        .unwrap_or(Locale::Ru);
    let tz = cookie(TZ_COOKIE)
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0)
        .clamp(-14 * 60, 14 * 60);
    (locale, tz)
}

#[cfg(not(feature = "ssr"))]
fn request_settings() -> (Locale, i32) {
    // The server wrote its choice into <html lang>; reading it back keeps hydration identical.
    let locale = crate::browser::html_lang()
        .and_then(|l| Locale::parse(&l))
        .unwrap_or(Locale::Ru);
    let tz = crate::browser::read_cookie(TZ_COOKIE)
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0);
    (locale, tz)
}

/// The locale the shell renders `<html lang>` with.
pub fn request_locale() -> Locale {
    request_settings().0
}

pub fn provide_ui() -> Ui {
    let (locale, tz) = request_settings();
    let ui = Ui {
        locale,
        tz: RwSignal::new(tz),
    };
    provide_context(ui);
    // After hydration: the browser knows the real offset; remember it for the next SSR.
    Effect::new(move |_| {
        let actual = crate::browser::tz_offset_minutes();
        if ui.tz.get_untracked() != actual {
            ui.tz.set(actual);
        }
        crate::browser::write_cookie(&format!("{TZ_COOKIE}={actual}; Path=/; Max-Age=31536000; SameSite=Lax"));
    });
    ui
}

pub fn ui() -> Ui {
    use_context::<Ui>().unwrap_or_else(|| Ui {
        locale: Locale::Ru,
        tz: RwSignal::new(0),
    })
}
