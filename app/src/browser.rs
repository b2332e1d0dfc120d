//! The few browser facilities the cabinet needs, through `js_sys::Reflect` (no extra web-sys
//! features). On the server these are inert.

#[cfg(feature = "hydrate")]
mod imp {
    use js_sys::{Function, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    fn get(target: &JsValue, key: &str) -> Option<JsValue> {
        Reflect::get(target, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn global(key: &str) -> Option<JsValue> {
        get(&js_sys::global(), key)
    }

    pub fn html_lang() -> Option<String> {
        let doc = global("document")?;
        get(&get(&doc, "documentElement")?, "lang")?.as_string()
    }

    pub fn read_cookie(name: &str) -> Option<String> {
        let all = get(&global("document")?, "cookie")?.as_string()?;
        all.split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn write_cookie(text: &str) {
        if let Some(doc) = global("document") {
            let _ = Reflect::set(&doc, &JsValue::from_str("cookie"), &JsValue::from_str(text));
        }
    }

    pub fn tz_offset_minutes() -> i32 {
        -(js_sys::Date::new_0().get_timezone_offset() as i32)
    }

    pub fn now_micros() -> i64 {
        (js_sys::Date::now() * 1000.0) as i64
    }

    pub fn copy_text(text: &str) {
        let Some(clip) = global("navigator").and_then(|n| get(&n, "clipboard")) else {
            return;
        };
        if let Some(f) = get(&clip, "writeText").and_then(|f| f.dyn_into::<Function>().ok()) {
            let _ = f.call1(&clip, &JsValue::from_str(text));
        }
    }

    pub fn confirm(message: &str) -> bool {
        let Some(f) = global("confirm").and_then(|f| f.dyn_into::<Function>().ok()) else {
            return true;
        };
        f.call1(&JsValue::NULL, &JsValue::from_str(message))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    #[cfg_attr(feature = "ssr", allow(dead_code))] // read by the browser build only
    pub fn html_lang() -> Option<String> {
        None
    }
    #[cfg_attr(feature = "ssr", allow(dead_code))]
    pub fn read_cookie(_name: &str) -> Option<String> {
        None
    }
    pub fn write_cookie(_text: &str) {}
    pub fn tz_offset_minutes() -> i32 {
        0
    }
    pub fn now_micros() -> i64 {
        0
    }
    pub fn copy_text(_text: &str) {}
    pub fn confirm(_message: &str) -> bool {
        true
    }
}

pub use imp::*;
