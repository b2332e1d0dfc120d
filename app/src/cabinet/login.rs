//! Sign-in and password reset.

use super::{error_text, LangSwitch};
use crate::api::{Login, RequestReset, ResetPassword};
use crate::i18n::t;
use crate::ui::ui;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let l = ui().locale;
    let action = ServerAction::<Login>::new();
    let error = move || action.value().get().and_then(|r| r.err()).map(|e| error_text(l, &e));
    view! {
        <Title text=format!("{} · DucatPay", t(l, "login.title")) />
        <div class="auth">
            <section class="auth-card card" aria-labelledby="login-title">
                <p class="auth-brand">
                    <span class="brand-dot" aria-hidden="true">
                        "D"
                    </span>
                    "DucatPay"
                </p>
                <h1 id="login-title">{t(l, "login.title")}</h1>
                <ActionForm action=action>
                    <div class="field">
                        <label for="login-email">{t(l, "login.email")}</label>
                        <input
                            id="login-email"
                            type="email"
                            name="email"
                            required
                            autocomplete="username"
                            maxlength="100"
                        />
                    </div>
                    <div class="field">
                        <label for="login-password">{t(l, "login.password")}</label>
                        <input
                            id="login-password"
                            type="password"
                            name="password"
                            required
                            autocomplete="current-password"
                            maxlength="1000"
                        />
                    </div>
                    <div class="field-row">
                        <label class="check">
                            <input type="checkbox" name="remember" value="on" />
                            {t(l, "login.remember")}
                        </label>
                        <a href="/cabinet/reset-password" data-testid="forgot">
                            {t(l, "login.forgot")}
                        </a>
                    </div>
                    <p class="form-error" role="alert" data-testid="login-error">
                        {error}
                    </p>
                    <button
                        type="submit"
                        class="button button-wide"
                        data-testid="login-submit"
                        disabled=move || action.pending().get()
                    >
                        {move || {
                            if action.pending().get() { t(l, "login.working") } else { t(l, "login.submit") }
                        }}
                    </button>
                </ActionForm>
                <LangSwitch />
            </section>
        </div>
    }
}

/// Without `?token=`: ask for a link. With it: set the new password.
#[component]
pub fn ResetPage() -> impl IntoView {
    let l = ui().locale;
    let query = use_query_map();
    let token = move || query.get().get("token").unwrap_or_default();
    view! {
        <Title text=format!("{} · DucatPay", t(l, "reset.title")) />
        <div class="auth">
            <section class="auth-card card" aria-labelledby="reset-title">
                <h1 id="reset-title">{t(l, "reset.title")}</h1>
                {move || {
                    let tok = token();
                    if tok.is_empty() {
                        view! { <RequestForm /> }.into_any()
                    } else {
                        view! { <NewPasswordForm token=tok /> }.into_any()
                    }
                }}
                <p>
                    <a href="/cabinet/login">{t(l, "reset.back")}</a>
                </p>
                <LangSwitch />
            </section>
        </div>
    }
}

#[component]
fn RequestForm() -> impl IntoView {
    let l = ui().locale;
    let action = ServerAction::<RequestReset>::new();
    view! {
        <p>{t(l, "reset.intro")}</p>
        <ActionForm action=action>
            <div class="field">
                <label for="reset-email">{t(l, "login.email")}</label>
                <input id="reset-email" type="email" name="email" required autocomplete="username" />
            </div>
            <p class="form-ok" role="status" data-testid="reset-sent">
                {move || matches!(action.value().get(), Some(Ok(()))).then(|| t(l, "reset.sent"))}
            </p>
            <p class="form-error" role="alert">
                {move || action.value().get().and_then(|r| r.err()).map(|e| error_text(l, &e))}
            </p>
            <button type="submit" class="button button-wide" disabled=move || action.pending().get()>
                {t(l, "reset.send")}
            </button>
        </ActionForm>
    }
}

#[component]
fn NewPasswordForm(token: String) -> impl IntoView {
    let l = ui().locale;
    let action = ServerAction::<ResetPassword>::new();
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<&'static str>);
    let tok = token.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = password.get_untracked();
        if p != repeat.get_untracked() {
            local_error.set(Some(t(l, "reset.mismatch")));
        } else if !(8..=200).contains(&p.chars().count()) {
            local_error.set(Some(t(l, "reset.short")));
        } else {
            local_error.set(None);
            action.dispatch(ResetPassword {
                token: tok.clone(),
                password: p,
            });
        }
    };
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Show
            when=done
            fallback=move || {
                view! {
                    <form method="post" action="/api/cabinet/reset_password" on:submit=on_submit.clone()>
                        <input type="hidden" name="token" value=token.clone() />
                        <div class="field">
                            <label for="new-password">{t(l, "reset.new")}</label>
                            <input
                                id="new-password"
                                type="password"
                                name="password"
                                required
                                minlength="8"
                                autocomplete="new-password"
                                bind:value=password
                            />
                        </div>
                        <div class="field">
                            <label for="repeat-password">{t(l, "reset.repeat")}</label>
                            <input
                                id="repeat-password"
                                type="password"
                                required
                                autocomplete="new-password"
                                bind:value=repeat
                            />
                        </div>
                        <p class="form-error" role="alert" data-testid="reset-error">
                            {move || {
                                local_error
                                    .get()
                                    .map(str::to_string)
                                    .or_else(|| {
                                        action.value().get().and_then(|r| r.err()).map(|e| error_text(l, &e))
                                    })
                            }}
                        </p>
                        <button type="submit" class="button button-wide" data-testid="reset-save">
                            {t(l, "reset.save")}
                        </button>
                    </form>
                }
            }
        >
            <p class="form-ok" role="status" data-testid="reset-done">
                {t(l, "reset.done")}
            </p>
        </Show>
    }
}
