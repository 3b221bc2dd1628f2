//! Times as people read them: local date-time and "in 4 min" / "3 h ago".

use wasm_bindgen::JsValue;

/// Unix seconds now.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// `ts` (Unix seconds) as a local date and time in the browser's locale.
pub fn local(ts: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ts as f64 * 1000.0));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// `ts` (Unix seconds) as a local time only ("8:37:47 PM") when it falls on today's date,
/// else as [`local`]: for moments close to now, where the date is noise.
pub fn local_near(ts: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ts as f64 * 1000.0));
    let today = js_sys::Date::new_0();
    if date.to_date_string() == today.to_date_string() {
        String::from(date.to_locale_time_string("default"))
    } else {
        local(ts)
    }
}

/// `ts` (Unix seconds) relative to now: "just now", "in 4 min", "3 h ago", "2 d ago".
pub fn relative(ts: i64) -> String {
    let delta = ts - now();
    let span = delta.unsigned_abs();
    if span < 5 {
        return "just now".to_owned();
    }
    let amount = match span {
        0..=59 => format!("{span} s"),
        60..=3_599 => format!("{} min", span / 60),
        3_600..=86_399 => format!("{} h", span / 3_600),
        _ => format!("{} d", span / 86_400),
    };
    if delta > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A duration in seconds as "5 min", "2 h 10 min", "3 d 4 h".
pub fn duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3_599 => format!("{} min", secs / 60),
        3_600..=86_399 => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// Unix seconds now, updated every `every` while the calling component lives (for
/// relative times and countdowns that move on by themselves).
pub fn use_now(every: std::time::Duration) -> leptos::prelude::ReadSignal<i64> {
    use leptos::prelude::*;
    let now = RwSignal::new(now());
    if let Ok(tick) = set_interval_with_handle(
        move || {
            let _ = now.try_set(self::now());
        },
        every,
    ) {
        on_cleanup(move || tick.clear());
    }
    now.read_only()
}
