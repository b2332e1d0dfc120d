//! What the cabinet's server functions send to the page (the same types on both sides).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The typed error of every cabinet server function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CabError {
    /// No session (or it ended): the page sends the user to sign-in.
    Unauthorized,
    /// The CSRF token or the request origin did not match.
    Csrf,
    /// The object does not exist or belongs to another organisation.
    NotFound,
    /// A business rule said no; `code` is upstream's (`invalidShopStatus`, …).
    Invalid {
        code: String,
        message: String,
    },
    BadCredentials,
    Locked {
        retry_after_secs: i64,
    },
    Blocked,
    /// Something broke on the server (logged there; no detail here).
    Internal,
    /// Transport or encoding trouble between the page and the server.
    Transport(String),
}

impl std::fmt::Display for CabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CabError::Invalid { code, message } => write!(f, "{code}: {message}"),
            CabError::Transport(m) => write!(f, "transport: {m}"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl FromServerFnError for CabError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        CabError::Transport(value.to_string())
    }
}

pub type CabResult<T> = Result<T, CabError>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub party_id: String,
    pub party_name: String,
    pub email: String,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopView {
    pub shop_id: String,
    pub name: String,
    pub url: String,
    pub created_at: i64,
    pub category_id: i64,
    pub currency: String,
    pub frozen: bool,
    pub blocked: bool,
    pub bank_name: String,
    pub account: String,
    pub bik: String,
    pub corr_account: String,
    pub fee_bps: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractView {
    pub legal_name: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
    pub representative_position: String,
    pub representative_name: String,
    pub representative_document: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopDetails {
    pub shop: ShopView,
    pub contract: Option<ContractView>,
}

/// The operations filters exactly as they sit in the page's URL query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Filters {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub shop: Option<String>,
    pub invoice: Option<String>,
    pub order: Option<String>,
    pub status: Option<String>,
    pub first6: Option<String>,
    pub last4: Option<String>,
    pub email: Option<String>,
    pub amount: Option<String>,
    pub payment: Option<String>,
    pub cursor: Option<String>,
    /// The user's UTC offset in minutes (custom dates are local days).
    pub tz: i32,
}

pub const FILTER_KEYS: &[&str] = &[
    "period", "from", "to", "shop", "invoice", "order", "status", "first6", "last4", "email", "amount", "payment",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub invoice_id: String,
    pub payment_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub hold: bool,
    pub order_id: Option<String>,
    pub product: String,
    pub card_mask: Option<String>,
    pub email: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub invoice_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub product: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub order_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundRow {
    pub invoice_id: String,
    pub payment_id: String,
    pub refund_id: String,
    pub shop_name: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageOf<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
    /// Server time of the query (for "last updated … ago").
    pub loaded_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentCardView {
    pub row: PaymentRow,
    pub invoice_status: String,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub fee: i64,
    pub fee_bps: i64,
    pub history: Vec<(i64, String)>,
    pub refunds: Vec<RefundRow>,
    pub held_until: Option<i64>,
    /// What is left to refund (0 when the payment cannot be refunded now).
    pub refundable: i64,
    pub refund_pending: bool,
    pub can_capture: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLine {
    pub product: String,
    /// Minor units.
    pub price: i64,
    pub quantity: i64,
    /// `none` or a VAT rate (`0%`, `10%`, `20%`).
    pub tax: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInvoice {
    pub shop_id: String,
    /// `YYYY-MM-DD`, the end of that local day.
    pub due: String,
    pub product: String,
    pub description: String,
    pub lines: Vec<NewLine>,
    pub tz: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedInvoice {
    pub invoice_id: String,
    pub checkout_url: String,
}
