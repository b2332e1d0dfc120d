//! The payment form: the page's only island, so the only code shipped to the browser.
//!
//! On the server it renders a plain HTML form that posts to `/v1/checkout/pay` and works without
//! JavaScript. Once hydrated it validates as the buyer types, posts the same fields with `fetch`
//! (`Accept: application/json`) and shows the result in place; a 3-D Secure card leaves for the
//! issuer's page and comes back to the checkout's result screen.
//!
//! The island takes no props: props would be serialised with serde_json and pull it into the
//! bundle. The server renders its inputs into `<div id="dp-config" data-…>` (see
//! [`FormConfig::attrs`]), which the browser reads back with the DOM's own `dataset`.

use crate::card::{self, Brand, FieldError};
use crate::i18n::{Locale, Texts};
use leptos::either::Either;
use leptos::prelude::*;

/// What the result part of the island shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Form,
    /// `captured` (instant) or `processed` (held).
    Success {
        held: bool,
        payment_id: String,
    },
    Failed {
        reason: String,
        payment_id: String,
    },
    Pending {
        payment_id: String,
    },
    /// Any other end state, with its own title and line (e.g. the invoice got paid meanwhile).
    Message {
        title: String,
        line: String,
    },
}

impl Screen {
    fn code(&self) -> &'static str {
        match self {
            Screen::Form => "form",
            Screen::Success { held: false, .. } => "success",
            Screen::Success { held: true, .. } => "held",
            Screen::Failed { .. } => "failed",
            Screen::Pending { .. } => "pending",
            Screen::Message { .. } => "message",
        }
    }
}

/// Everything the island needs, rendered by the server into `#dp-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormConfig {
    pub locale: Locale,
    /// The link's `locale` parameter as given (`auto` is resolved again on each request).
    pub locale_param: String,
    pub pay_label: String,
    pub amount: String,
    pub shop_name: String,
    pub shop_url: String,
    pub invoice_id: String,
    pub token: String,
    pub ask_holder: bool,
    pub recurring: bool,
    /// `cancel` or `capture` when the link asks for a hold.
    pub hold: String,
    /// One id per form submission: resubmitting it reuses the tokenised card's payment session.
    pub submission: String,
    /// Origin of the page that embedded the checkout (`checkout.js`), for `postMessage`.
    pub parent_origin: String,
    /// The checkout link without a payment: "try another card" without JavaScript.
    pub link: String,
    pub screen: Screen,
    pub number: String,
    pub expiry: String,
    pub holder: String,
    pub email: String,
    pub remember: bool,
    /// Errors per field (`number`, `expiry`, `cvc`, `holder`, `email`) and for the form.
    pub errors: Vec<(String, String)>,
}

const ERROR_FIELDS: [&str; 6] = ["number", "expiry", "cvc", "holder", "email", "form"];

impl FormConfig {
    /// `data-*` attributes for `#dp-config` (names without the prefix).
    pub fn attrs(&self) -> Vec<(String, String)> {
        let b = |v: bool| if v { "1".to_string() } else { String::new() };
        let (reason, payment, title, line) = match &self.screen {
            Screen::Form => Default::default(),
            Screen::Success { payment_id, .. } | Screen::Pending { payment_id } => {
                (String::new(), payment_id.clone(), String::new(), String::new())
            }
            Screen::Failed { reason, payment_id } => (reason.clone(), payment_id.clone(), String::new(), String::new()),
            Screen::Message { title, line } => (String::new(), String::new(), title.clone(), line.clone()),
        };
        let mut v: Vec<(String, String)> = [
            ("locale", self.locale.code().to_string()),
            ("localeparam", self.locale_param.clone()),
            ("paylabel", self.pay_label.clone()),
            ("amount", self.amount.clone()),
            ("shop", self.shop_name.clone()),
            ("shopurl", self.shop_url.clone()),
            ("invoice", self.invoice_id.clone()),
            ("token", self.token.clone()),
            ("askholder", b(self.ask_holder)),
            ("recurring", b(self.recurring)),
            ("hold", self.hold.clone()),
            ("submission", self.submission.clone()),
            ("parentorigin", self.parent_origin.clone()),
            ("link", self.link.clone()),
            ("screen", self.screen.code().to_string()),
            ("reason", reason),
            ("payment", payment),
            ("title", title),
            ("line", line),
            ("number", self.number.clone()),
            ("expiry", self.expiry.clone()),
            ("holder", self.holder.clone()),
            ("email", self.email.clone()),
            ("remember", b(self.remember)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for f in ERROR_FIELDS {
            if let Some((_, e)) = self.errors.iter().find(|(k, _)| k == f) {
                v.push((format!("err{f}"), e.clone()));
            }
        }
        v
    }

    /// The inverse of [`FormConfig::attrs`].
    pub fn from_attrs(get: impl Fn(&str) -> String) -> FormConfig {
        let locale = Locale::parse(&get("locale")).unwrap_or(Locale::Ru);
        let payment_id = get("payment");
        let screen = match get("screen").as_str() {
            "success" => Screen::Success {
                held: false,
                payment_id,
            },
            "held" => Screen::Success { held: true, payment_id },
            "failed" => Screen::Failed {
                reason: get("reason"),
                payment_id,
            },
            "pending" => Screen::Pending { payment_id },
            "message" => Screen::Message {
                title: get("title"),
                line: get("line"),
            },
            _ => Screen::Form,
        };
        let errors = ERROR_FIELDS
            .iter()
            .filter_map(|f| {
                let e = get(&format!("err{f}"));
                (!e.is_empty()).then(|| (f.to_string(), e))
            })
            .collect();
        FormConfig {
            locale,
            locale_param: get("localeparam"),
            pay_label: get("paylabel"),
            amount: get("amount"),
            shop_name: get("shop"),
            shop_url: get("shopurl"),
            invoice_id: get("invoice"),
            token: get("token"),
            ask_holder: get("askholder") == "1",
            recurring: get("recurring") == "1",
            hold: get("hold"),
            submission: get("submission"),
            parent_origin: get("parentorigin"),
            link: get("link"),
            screen,
            number: get("number"),
            expiry: get("expiry"),
            holder: get("holder"),
            email: get("email"),
            remember: get("remember") == "1",
            errors,
        }
    }

    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    }
}

/// The fields as posted, checked the same way in the browser and on the server.
#[derive(Debug, Clone, Default)]
pub struct CardInput {
    pub number: String,
    pub expiry: String,
    pub cvc: String,
    pub holder: String,
    pub email: String,
}

/// Clean values ready for tokenisation.
#[derive(Debug, Clone)]
pub struct CleanCard {
    pub number: String,
    /// `MM/YY`
    pub expiry: String,
    pub cvc: String,
    pub holder: Option<String>,
    pub email: String,
}

/// Checks every field; `today` is (year, month). Errors name the fields as [`FormConfig`] does.
pub fn validate(
    input: &CardInput,
    ask_holder: bool,
    today: (i32, u32),
) -> Result<CleanCard, Vec<(&'static str, FieldError)>> {
    let mut errors = Vec::new();
    let number = card::check_number(&input.number).map_err(|e| errors.push(("number", e)));
    let expiry = card::check_expiry(&input.expiry, today.0, today.1).map_err(|e| errors.push(("expiry", e)));
    let cvc = card::check_cvc(&input.cvc).map_err(|e| errors.push(("cvc", e)));
    let holder = if ask_holder {
        card::check_holder(&input.holder)
            .map(Some)
            .map_err(|e| errors.push(("holder", e)))
    } else {
        Ok(None)
    };
    let email = card::check_email(&input.email).map_err(|e| errors.push(("email", e)));
    match (number, expiry, cvc, holder, email) {
        (Ok(number), Ok(expiry), Ok(cvc), Ok(holder), Ok(email)) => Ok(CleanCard {
            number,
            expiry,
            cvc,
            holder,
            email,
        }),
        _ => Err(errors),
    }
}

#[cfg(feature = "hydrate")]
fn config() -> FormConfig {
    use wasm_bindgen::JsCast;
    let ds = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("dp-config"))
        .map(|e| e.unchecked_into::<web_sys::HtmlElement>().dataset());
    FormConfig::from_attrs(|k| ds.as_ref().and_then(|d| d.get(k)).unwrap_or_default())
}

#[cfg(not(feature = "hydrate"))]
fn config() -> FormConfig {
    use_context::<FormConfig>().expect("the checkout page provides FormConfig")
}

#[cfg(feature = "hydrate")]
fn today() -> (i32, u32) {
    let d = js_sys::Date::new_0();
    (d.get_full_year() as i32, d.get_month() + 1)
}

#[cfg(not(feature = "hydrate"))]
fn today() -> (i32, u32) {
    (0, 1)
}

/// A fresh submission id (only the browser makes new ones; the server renders the first).
fn new_submission() -> String {
    #[cfg(feature = "hydrate")]
    {
        let r = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
        format!("c{:x}{:x}{:x}", js_sys::Date::now() as u64, r(), r())
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

#[derive(Clone, Copy)]
struct Field {
    value: RwSignal<String>,
    error: RwSignal<String>,
}

impl Field {
    fn new(value: String, error: String) -> Field {
        Field {
            value: RwSignal::new(value),
            error: RwSignal::new(error),
        }
    }
}

#[derive(Clone, Copy)]
struct FormState {
    number: Field,
    expiry: Field,
    cvc: Field,
    holder: Field,
    email: Field,
    form_error: RwSignal<String>,
    busy: RwSignal<bool>,
    submission: RwSignal<String>,
    screen: RwSignal<Screen>,
}

impl FormState {
    fn input(&self) -> CardInput {
        CardInput {
            number: self.number.value.get_untracked(),
            expiry: self.expiry.value.get_untracked(),
            cvc: self.cvc.value.get_untracked(),
            holder: self.holder.value.get_untracked(),
            email: self.email.value.get_untracked(),
        }
    }

    fn field(&self, name: &str) -> Option<Field> {
        Some(match name {
            "number" => self.number,
            "expiry" => self.expiry,
            "cvc" => self.cvc,
            "holder" => self.holder,
            "email" => self.email,
            _ => return None,
        })
    }

    /// Re-checks one field; `show` puts a new error on screen (on blur / submit), otherwise only
    /// an error already shown is updated or cleared (while typing).
    fn check(&self, name: &str, t: &'static Texts, ask_holder: bool, show: bool) {
        let Some(f) = self.field(name) else { return };
        let errs = match validate(&self.input(), ask_holder, today()) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        let msg = errs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, e)| t.field_error(*e).to_string())
            .unwrap_or_default();
        if show || !f.error.get_untracked().is_empty() {
            f.error.set(msg);
        }
    }
}

/// The payment form and its result screens.
#[island]
pub fn CheckoutForm() -> impl IntoView {
    let cfg = StoredValue::new(config());
    let c = cfg.get_value();
    let t: &'static Texts = c.locale.texts();
    let state = FormState {
        number: Field::new(c.number.clone(), c.error("number")),
        expiry: Field::new(c.expiry.clone(), c.error("expiry")),
        cvc: Field::new(String::new(), c.error("cvc")),
        holder: Field::new(c.holder.clone(), c.error("holder")),
        email: Field::new(c.email.clone(), c.error("email")),
        form_error: RwSignal::new(c.error("form")),
        busy: RwSignal::new(false),
        submission: RwSignal::new(c.submission.clone()),
        screen: RwSignal::new(c.screen.clone()),
    };
    let remember = RwSignal::new(c.remember);
    let ready = RwSignal::new(false);

    // Runs in the browser only, once hydrated: mark the page interactive and tell an embedding
    // page (checkout.js) that the checkout is up, or how it ended when it came back from 3-DS.
    Effect::new(move |_| {
        ready.set(true);
        #[cfg(feature = "hydrate")]
        {
            let c = cfg.get_value();
            post_to_parent(&c, "ready", "", "");
            notify_result(&c, &state.screen.get_untracked());
        }
    });

    view! {
        <div class="dp-island" data-ready=move || ready.get().to_string()>
            {move || match state.screen.get() {
                Screen::Form => Either::Left(form_view(cfg, t, state, remember)),
                other => Either::Right(result_view(cfg, t, state, other)),
            }}
        </div>
    }
}

fn error_line(id: &'static str, err: RwSignal<String>) -> impl IntoView {
    view! {
        <p class="dp-err" id=id role="alert" aria-live="polite">
            {move || err.get()}
        </p>
    }
}

fn form_view(
    cfg: StoredValue<FormConfig>,
    t: &'static Texts,
    state: FormState,
    remember: RwSignal<bool>,
) -> impl IntoView {
    let c = cfg.get_value();
    let ask_holder = c.ask_holder;
    let ru = c.locale == Locale::Ru;
    let brand = Memo::new(move |_| Brand::detect(&card::digits(&state.number.value.get())));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit(cfg, t, state, ask_holder);
    };
    let invalid = |f: Field| move || (!f.error.get().is_empty()).to_string();
    let hold_note = match c.hold.as_str() {
        "capture" => Some(t.hold_note_capture),
        "cancel" => Some(t.hold_note_cancel),
        _ => None,
    };
    view! {
        <form class="dp-form" method="post" action="/v1/checkout/pay" novalidate on:submit=on_submit>
            <input type="hidden" name="invoiceID" value=c.invoice_id.clone() />
            <input type="hidden" name="invoiceAccessToken" value=c.token.clone() />
            <input type="hidden" name="locale" value=c.locale_param.clone() />
            <input type="hidden" name="recurring" value=if c.recurring { "true" } else { "false" } />
            <input type="hidden" name="paymentFlowHold" value=if c.hold.is_empty() { "false" } else { "true" } />
            <input type="hidden" name="holdExpiration" value=c.hold.clone() />
            <input type="hidden" name="parentOrigin" value=c.parent_origin.clone() />
            <input
                type="hidden"
                name="submission"
                value=c.submission.clone()
                prop:value=move || state.submission.get()
            />
            <h2 class="dp-title">{t.pay_by_card}</h2>
            <p class="dp-banner" role="alert" data-testid="form-error" hidden=move || state.form_error.get().is_empty()>
                {move || state.form_error.get()}
            </p>
            <div class="dp-field">
                <label for="dp-number">{t.card_number}</label>
                <div class="dp-number">
                    <input
                        id="dp-number"
                        name="cardNumber"
                        type="text"
                        inputmode="numeric"
                        autocomplete="cc-number"
                        placeholder="0000 0000 0000 0000"
                        maxlength="23"
                        required
                        aria-invalid=invalid(state.number)
                        aria-describedby="dp-number-err"
                        value=c.number.clone()
                        prop:value=move || state.number.value.get()
                        on:input=move |ev| {
                            state.number.value.set(card::format_number(&event_target_value(&ev)));
                            state.check("number", t, ask_holder, false);
                        }
                        on:blur=move |_| state.check("number", t, ask_holder, true)
                    />
                    <span class="dp-brand" data-testid="brand" data-brand=move || brand.get().slug()>
                        {move || brand.get().name(ru)}
                    </span>
                </div>
                {error_line("dp-number-err", state.number.error)}
            </div>
            <div class="dp-row">
                <div class="dp-field">
                    <label for="dp-expiry">{t.expiry}</label>
                    <input
                        id="dp-expiry"
                        name="expDate"
                        type="text"
                        inputmode="numeric"
                        autocomplete="cc-exp"
                        placeholder=t.expiry_placeholder
                        maxlength="5"
                        required
                        aria-invalid=invalid(state.expiry)
                        aria-describedby="dp-expiry-err"
                        value=c.expiry.clone()
                        prop:value=move || state.expiry.value.get()
                        on:input=move |ev| {
                            state.expiry.value.set(card::format_expiry(&event_target_value(&ev)));
                            state.check("expiry", t, ask_holder, false);
                        }
                        on:blur=move |_| state.check("expiry", t, ask_holder, true)
                    />
                    {error_line("dp-expiry-err", state.expiry.error)}
                </div>
                <div class="dp-field">
                    <label for="dp-cvc">{t.cvc}</label>
                    <input
                        id="dp-cvc"
                        name="cvv"
                        type="password"
                        inputmode="numeric"
                        autocomplete="cc-csc"
                        placeholder="•••"
                        maxlength="4"
                        required
                        aria-invalid=invalid(state.cvc)
                        aria-describedby="dp-cvc-err"
                        prop:value=move || state.cvc.value.get()
                        on:input=move |ev| {
                            state.cvc.value.set(card::digits(&event_target_value(&ev)));
                            state.check("cvc", t, ask_holder, false);
                        }
                        on:blur=move |_| state.check("cvc", t, ask_holder, true)
                    />
                    {error_line("dp-cvc-err", state.cvc.error)}
                </div>
            </div>
            {ask_holder
                .then(|| {
                    view! {
                        <div class="dp-field">
                            <label for="dp-holder">{t.holder}</label>
                            <input
                                id="dp-holder"
                                name="cardHolder"
                                type="text"
                                autocomplete="cc-name"
                                placeholder="IVAN PETROV"
                                maxlength="100"
                                required
                                aria-invalid=invalid(state.holder)
                                aria-describedby="dp-holder-err"
                                value=c.holder.clone()
                                prop:value=move || state.holder.value.get()
                                on:input=move |ev| {
                                    state.holder.value.set(event_target_value(&ev).to_uppercase());
                                    state.check("holder", t, ask_holder, false);
                                }
                                on:blur=move |_| state.check("holder", t, ask_holder, true)
                            />
                            {error_line("dp-holder-err", state.holder.error)}
                        </div>
                    }
                })}
            <div class="dp-field">
                <label for="dp-email">{t.email}</label>
                <input
                    id="dp-email"
                    name="email"
                    type="email"
                    autocomplete="email"
                    placeholder="name@example.com"
                    maxlength="100"
                    required
                    aria-invalid=invalid(state.email)
                    aria-describedby="dp-email-err"
                    value=c.email.clone()
                    prop:value=move || state.email.value.get()
                    on:input=move |ev| {
                        state.email.value.set(event_target_value(&ev));
                        state.check("email", t, ask_holder, false);
                    }
                    on:blur=move |_| state.check("email", t, ask_holder, true)
                />
                {error_line("dp-email-err", state.email.error)}
            </div>
            {c
                .recurring
                .then(|| {
                    view! {
                        <label class="dp-check">
                            <input
                                type="checkbox"
                                name="remember"
                                value="1"
                                data-testid="recurring-consent"
                                checked=c.remember
                                prop:checked=move || remember.get()
                                on:change=move |ev| remember.set(event_target_checked(&ev))
                            />
                            <span>{t.recurring_consent}</span>
                        </label>
                    }
                })}
            {hold_note.map(|n| view! { <p class="dp-note" data-testid="hold-note">{n}</p> })}
            <button type="submit" class="dp-pay" data-testid="pay" disabled=move || state.busy.get()>
                {move || if state.busy.get() { t.processing.to_string() } else { c.pay_label.clone() }}
            </button>
            <p class="dp-offer">{t.offer}</p>
        </form>
    }
}

fn result_view(cfg: StoredValue<FormConfig>, t: &'static Texts, state: FormState, screen: Screen) -> impl IntoView {
    let c = cfg.get_value();
    let code = screen.code();
    let (title, line, payment_id) = match &screen {
        Screen::Success { held, payment_id } => (
            if *held { t.held_title } else { t.success_title }.to_string(),
            t.success_line.to_string(),
            payment_id.clone(),
        ),
        Screen::Failed { reason, payment_id } => (t.failed_title.to_string(), reason.clone(), payment_id.clone()),
        Screen::Pending { payment_id } => (
            t.pending_title.to_string(),
            t.pending_line.to_string(),
            payment_id.clone(),
        ),
        Screen::Message { title, line } => (title.clone(), line.clone(), String::new()),
        Screen::Form => Default::default(),
    };
    let ok = matches!(screen, Screen::Success { .. });
    let failed = matches!(screen, Screen::Failed { .. });
    let try_again = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        state.cvc.value.set(String::new());
        state.number.value.set(String::new());
        state.form_error.set(String::new());
        state.submission.set(new_submission());
        state.screen.set(Screen::Form);
    };
    view! {
        <section
            class=if ok { "dp-result dp-ok" } else if failed { "dp-result dp-fail" } else { "dp-result" }
            data-testid="result"
            data-screen=code
            data-payment-id=payment_id
            role="status"
        >
            <div class="dp-icon" aria-hidden="true">{if ok { "✓" } else if failed { "!" } else { "…" }}</div>
            <h2 data-testid="result-title">{title}</h2>
            <p class="dp-reason" data-testid="result-line">{line}</p>
            {ok
                .then(|| {
                    view! {
                        <dl class="dp-facts">
                            <dt>{t.shop}</dt>
                            <dd>{c.shop_name.clone()}</dd>
                            <dt>{t.amount}</dt>
                            <dd data-testid="result-amount">{c.amount.clone()}</dd>
                            <dt>{t.invoice}</dt>
                            <dd data-testid="result-invoice">{c.invoice_id.clone()}</dd>
                        </dl>
                    }
                })}
            {failed
                .then(|| {
                    view! {
                        <a class="dp-button" href=c.link.clone() data-testid="try-again" on:click=try_again>
                            {t.try_again}
                        </a>
                    }
                })}
            {(ok && c.parent_origin.is_empty())
                .then(|| {
                    view! {
                        <a class="dp-button dp-secondary" href=c.shop_url.clone()>
                            {t.back_to_shop}
                        </a>
                    }
                })}
        </section>
    }
}

#[cfg(not(feature = "hydrate"))]
fn submit(_: StoredValue<FormConfig>, _: &'static Texts, _: FormState, _: bool) {}

/// Checks everything, then posts the form with `fetch` and acts on the JSON answer.
#[cfg(feature = "hydrate")]
fn submit(cfg: StoredValue<FormConfig>, t: &'static Texts, state: FormState, ask_holder: bool) {
    use wasm_bindgen::JsCast;
    if state.busy.get_untracked() {
        return; // a double click while the first request is out
    }
    state.form_error.set(String::new());
    if let Err(errs) = validate(&state.input(), ask_holder, today()) {
        for name in ["number", "expiry", "cvc", "holder", "email"] {
            state.check(name, t, ask_holder, true);
        }
        state.form_error.set(t.fix_errors.to_string());
        if let Some((first, _)) = errs.first() {
            focus(&format!("dp-{first}"));
        }
        return;
    }
    let Some(form) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("form.dp-form").ok().flatten())
    else {
        return;
    };
    let form: web_sys::HtmlFormElement = form.unchecked_into();
    state.busy.set(true);
    leptos::task::spawn_local(async move {
        let answer = post_form(&form).await;
        state.busy.set(false);
        match answer {
            Ok(v) => apply_answer(cfg, t, state, v),
            Err(()) => state.form_error.set(t.reason_network.to_string()),
        }
    });
}

#[cfg(feature = "hydrate")]
fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

#[cfg(feature = "hydrate")]
async fn post_form(form: &web_sys::HtmlFormElement) -> Result<wasm_bindgen::JsValue, ()> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let data = web_sys::FormData::new_with_form(form).map_err(|_| ())?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(|_| ())?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.to_string().into());
    let headers = web_sys::Headers::new().map_err(|_| ())?;
    headers
        .set("Content-Type", "application/x-www-form-urlencoded")
        .map_err(|_| ())?;
    headers.set("Accept", "application/json").map_err(|_| ())?;
    init.set_headers(&headers);
    let req = web_sys::Request::new_with_str_and_init("/v1/checkout/pay", &init).map_err(|_| ())?;
    let window = web_sys::window().ok_or(())?;
    let res: web_sys::Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| ())?
        .unchecked_into();
    JsFuture::from(res.json().map_err(|_| ())?).await.map_err(|_| ())
}

#[cfg(feature = "hydrate")]
fn get(v: &wasm_bindgen::JsValue, key: &str) -> String {
    js_sys::Reflect::get(v, &key.into())
        .ok()
        .and_then(|x| x.as_string())
        .unwrap_or_default()
}

/// The server's answer: `{screen, paymentID, reason, title, line, errors, redirect}`.
#[cfg(feature = "hydrate")]
fn apply_answer(cfg: StoredValue<FormConfig>, t: &'static Texts, state: FormState, v: wasm_bindgen::JsValue) {
    let payment_id = get(&v, "paymentID");
    let screen = match get(&v, "screen").as_str() {
        "invalid" => {
            let errors = js_sys::Reflect::get(&v, &"errors".into()).unwrap_or_default();
            let mut first = None;
            for name in ["number", "expiry", "cvc", "holder", "email"] {
                let e = get(&errors, name);
                if !e.is_empty() && first.is_none() {
                    first = Some(name);
                }
                if let Some(f) = state.field(name) {
                    f.error.set(e);
                }
            }
            let form = get(&errors, "form");
            state.form_error.set(if form.is_empty() {
                t.fix_errors.to_string()
            } else {
                form
            });
            if let Some(f) = first {
                focus(&format!("dp-{f}"));
            }
            return;
        }
        "redirect" => {
            let r = js_sys::Reflect::get(&v, &"redirect".into()).unwrap_or_default();
            go_to_issuer(&r);
            return;
        }
        "success" => Screen::Success {
            held: false,
            payment_id,
        },
        "held" => Screen::Success { held: true, payment_id },
        "failed" => Screen::Failed {
            reason: get(&v, "reason"),
            payment_id,
        },
        "pending" => Screen::Pending { payment_id },
        _ => Screen::Message {
            title: get(&v, "title"),
            line: get(&v, "line"),
        },
    };
    notify_result(&cfg.get_value(), &screen);
    state.screen.set(screen);
}

/// 3-D Secure: post upstream's `BrowserPostRequest` form to the issuer, in this window.
#[cfg(feature = "hydrate")]
fn go_to_issuer(r: &wasm_bindgen::JsValue) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(form) = doc.create_element("form") else { return };
    let form: web_sys::HtmlFormElement = form.unchecked_into();
    form.set_method("post");
    form.set_action(&get(r, "url"));
    let fields = js_sys::Reflect::get(r, &"form".into()).unwrap_or_default();
    for f in js_sys::Array::from(&fields).iter() {
        if let Ok(input) = doc.create_element("input") {
            let input: web_sys::HtmlInputElement = input.unchecked_into();
            input.set_type("hidden");
            input.set_name(&get(&f, "key"));
            input.set_value(&get(&f, "template"));
            let _ = form.append_child(&input);
        }
    }
    if let Some(body) = doc.body() {
        let _ = body.append_child(&form);
        let _ = form.submit();
    }
}

/// Tells checkout.js (parent frame or opener) how the payment ended.
#[cfg(feature = "hydrate")]
fn notify_result(c: &FormConfig, screen: &Screen) {
    match screen {
        Screen::Success { payment_id, .. } => post_to_parent(c, "result", "success", payment_id),
        Screen::Failed { payment_id, .. } => post_to_parent(c, "result", "failed", payment_id),
        _ => {}
    }
}

/// `postMessage` to the embedding page, addressed to its origin only (never `*`).
#[cfg(feature = "hydrate")]
fn post_to_parent(c: &FormConfig, kind: &str, status: &str, payment_id: &str) {
    if c.parent_origin.is_empty() {
        return;
    }
    let Some(w) = web_sys::window() else { return };
    let target = match w.parent() {
        Ok(Some(p)) if !js_sys::Object::is(&p, &w) => p,
        _ => match w.opener() {
            Ok(o) if o.is_object() => wasm_bindgen::JsCast::unchecked_into(o),
            _ => return,
        },
    };
    let msg = js_sys::Object::new();
    for (k, v) in [
        ("source", "ducat-checkout"),
        ("type", kind),
        ("status", status),
        ("invoiceID", c.invoice_id.as_str()),
        ("paymentID", payment_id),
    ] {
        let _ = js_sys::Reflect::set(&msg, &k.into(), &v.into());
    }
    let _ = target.post_message(&msg, &c.parent_origin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_through_data_attributes() {
        let c = FormConfig {
            locale: Locale::En,
            locale_param: "auto".into(),
            pay_label: "Pay RUB 1.00".into(),
            amount: "RUB 1.00".into(),
            shop_name: "Tea".into(),
            shop_url: "https://tea.example".into(),
            invoice_id: "inv".into(),
            token: "tok".into(),
            ask_holder: true,
            recurring: false,
            hold: "capture".into(),
            submission: "s1".into(),
            parent_origin: "https://m.example".into(),
            link: "/v1/checkout.html?x".into(),
            screen: Screen::Failed {
                reason: "no money".into(),
                payment_id: "2".into(),
            },
            number: "4242".into(),
            expiry: "12/30".into(),
            holder: "IVAN".into(),
            email: "a@b.ru".into(),
            remember: true,
            errors: vec![("cvc".into(), "bad".into())],
        };
        let attrs = c.attrs();
        let back = FormConfig::from_attrs(|k| {
            attrs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        });
        assert_eq!(back, c);
    }

    #[test]
    fn validation_names_each_bad_field() {
        let input = CardInput {
            number: "4242 4242 4242 4241".into(),
            expiry: "01/20".into(),
            cvc: "12".into(),
            holder: String::new(),
            email: "x".into(),
        };
        let errs = validate(&input, true, (2026, 12)).unwrap_err();
        let names: Vec<_> = errs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["number", "expiry", "cvc", "holder", "email"]);
        let ok = CardInput {
            number: "4242 4242 4242 4242".into(),
            expiry: "12/30".into(),
            cvc: "123".into(),
            holder: String::new(),
            email: "a@b.ru".into(),
        };
        assert!(validate(&ok, false, (2026, 12)).is_ok());
    }
}
