//! The dashboard's "Tokens issued per hour" bar chart (SVG): a y axis of whole counts, a
//! label every six hours, and for the bar under the pointer or the keyboard focus a
//! tooltip with its hour and count. The bars are one tab stop (arrow keys, Home and End
//! move between them).

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use tessera_proto::stats::HourCount;
use wasm_bindgen::JsCast;

const W: f64 = 700.0;
const H: f64 = 190.0;
const LEFT: f64 = 28.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;
const PLOT_H: f64 = H - BOTTOM - TOP;

/// The y axis for counts up to `max`: ticks from 0 in a round whole step (1, 2, 5, 10,
/// 20, 50 …), the smallest that needs at most five intervals; the last tick is the first
/// multiple of the step at or above `max` (at least 1). Never a fraction.
pub fn count_ticks(max: i64) -> Vec<i64> {
    // Far beyond any real count; keeps the arithmetic below from overflowing.
    let max = max.clamp(1, 1_000_000_000_000);
    let mut unit = 1;
    let step = loop {
        if let Some(step) = [1, 2, 5]
            .into_iter()
            .map(|m| m * unit)
            .find(|step| (max + step - 1) / step <= 5)
        {
            break step;
        }
        unit *= 10;
    };
    let top = (max + step - 1) / step * step;
    (0..=top / step).map(|i| i * step).collect()
}

fn local_hour(ts: i64) -> u32 {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64 * 1000.0)).get_hours()
}

/// "14:00–15:00 · 3 tokens" ("(now)" after the current hour's range).
fn bar_label(bucket: &HourCount, now: bool) -> String {
    let hour = local_hour(bucket.hour_start);
    format!(
        "{hour:02}:00–{:02}:00{} · {} {}",
        (hour + 1) % 24,
        if now { " (now)" } else { "" },
        bucket.count,
        if bucket.count == 1 { "token" } else { "tokens" }
    )
}

/// One sentence for screen readers: the total and the busiest hour.
fn describe(buckets: &[HourCount]) -> String {
    let total: i64 = buckets.iter().map(|b| b.count).sum();
    let busiest = buckets
        .iter()
        .filter(|b| b.count > 0)
        .max_by_key(|b| b.count)
        .map(|b| {
            format!(
                "; busiest hour {:02}:00 with {}",
                local_hour(b.hour_start),
                b.count
            )
        })
        .unwrap_or_default();
    format!("{total} tokens issued in the last 24 hours{busiest}.")
}

/// Where a bar is drawn.
#[derive(Clone, Copy)]
struct Bar {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

#[component]
pub fn TokenChart(buckets: Vec<HourCount>) -> impl IntoView {
    let n = buckets.len();
    let ticks = count_ticks(buckets.iter().map(|b| b.count).max().unwrap_or(0));
    let scale = *ticks.last().unwrap_or(&1) as f64;
    let slot = (W - LEFT) / n.max(1) as f64;
    let last = n.saturating_sub(1);
    let bars: Vec<Bar> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let w = (slot * 0.7).max(2.0);
            let h = (b.count as f64 / scale) * PLOT_H;
            let h = if b.count > 0 { h.max(2.0) } else { 0.0 };
            let x = LEFT + i as f64 * slot + (slot - w) / 2.0;
            Bar {
                x,
                y: TOP + PLOT_H - h,
                w,
                h,
            }
        })
        .collect();
    let labels: Vec<String> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| bar_label(b, i == last))
        .collect();
    // The bar whose tooltip shows (pointer or focus), and the one in the tab order.
    let shown = RwSignal::new(None::<usize>);
    let cursor = RwSignal::new(last);
    let slots = bars
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (bar, label))| {
            let class = if i == last { "bar-now" } else { "bar" };
            view! {
                <g
                    class="bar-slot"
                    class:active=move || shown.get() == Some(i)
                    data-slot=i
                    role="img"
                    aria-label=label.clone()
                    tabindex=move || if cursor.get() == i { "0" } else { "-1" }
                    on:mouseenter=move |_| shown.set(Some(i))
                    on:mouseleave=move |_| shown.update(|s| if *s == Some(i) { *s = None })
                    on:focus=move |_| {
                        cursor.set(i);
                        shown.set(Some(i));
                    }
                    on:blur=move |_| shown.update(|s| if *s == Some(i) { *s = None })
                    on:keydown=move |ev| move_focus(&ev, i, last)
                >
                    // A full-height hit area keeps tiny bars easy to point at.
                    <rect class="hit" x=bar.x - (slot - bar.w) / 2.0 y=TOP width=slot height=PLOT_H />
                    <rect class=class x=bar.x y=bar.y width=bar.w height=bar.h rx="2" />
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="chart-wrap">
            <svg
                class="chart"
                viewBox=format!("0 0 {W} {H}")
                role="group"
                aria-labelledby="chart-title"
                aria-describedby="chart-desc"
            >
                <title id="chart-title">"Tokens issued per hour over the last 24 hours"</title>
                <desc id="chart-desc">{describe(&buckets)}</desc>
                {y_axis(ticks)}
                {slots}
                {x_labels(&buckets, slot)}
            </svg>
            <Tooltip shown=shown bars=bars labels=labels />
        </div>
    }
}

/// Arrow keys, Home and End move the focus between bars.
fn move_focus(ev: &KeyboardEvent, at: usize, last: usize) {
    let to = match ev.key().as_str() {
        "ArrowLeft" | "ArrowDown" => at.saturating_sub(1),
        "ArrowRight" | "ArrowUp" => (at + 1).min(last),
        "Home" => 0,
        "End" => last,
        _ => return,
    };
    ev.prevent_default();
    let target = document()
        .query_selector(&format!(".chart [data-slot=\"{to}\"]"))
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::SvgElement>().ok());
    if let Some(el) = target {
        let _ = el.focus();
    }
}

/// A grid line and a label per tick.
fn y_axis(ticks: Vec<i64>) -> impl IntoView {
    let top = *ticks.last().unwrap_or(&1) as f64;
    ticks
        .into_iter()
        .map(|t| {
            let y = TOP + PLOT_H - t as f64 / top * PLOT_H;
            view! {
                <line class="grid-line" x1=LEFT x2=W y1=y y2=y />
                <text class="axis-label axis-y" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{t}</text>
            }
        })
        .collect_view()
}

/// Every six hours, plus "now" (a six-hour label too close to it is skipped).
fn x_labels(buckets: &[HourCount], slot: f64) -> impl IntoView {
    let last = buckets.len().saturating_sub(1);
    buckets
        .iter()
        .enumerate()
        .filter(|(i, b)| {
            *i == last
                || (local_hour(b.hour_start).is_multiple_of(6) && last.saturating_sub(*i) > 2)
        })
        .map(|(i, b)| {
            let x = LEFT + i as f64 * slot + slot / 2.0;
            let text = if i == last {
                "now".to_owned()
            } else {
                format!("{:02}:00", local_hour(b.hour_start))
            };
            view! { <text class="axis-label" x=x y=H - 6.0 text-anchor="middle">{text}</text> }
        })
        .collect_view()
}

/// The hour and count of the shown bar, above it (kept inside the chart at the edges).
/// Screen readers get the same words from the bar's label.
#[component]
fn Tooltip(shown: RwSignal<Option<usize>>, bars: Vec<Bar>, labels: Vec<String>) -> impl IntoView {
    let n = bars.len();
    let at = move || shown.get().filter(|i| *i < n);
    let bars = StoredValue::new(bars);
    let bar = move || at().map(|i| bars.with_value(|b| b[i]));
    let class = move || match at() {
        None => "chart-tip",
        Some(i) if i < 3 => "chart-tip tip-on tip-start",
        Some(i) if i + 3 >= n => "chart-tip tip-on tip-end",
        Some(_) => "chart-tip tip-on",
    };
    // Percentages of the chart's box: the SVG scales with its width.
    let left = move || bar().map_or(0.0, |b| (b.x + b.w / 2.0) / W * 100.0);
    let top = move || bar().map_or(0.0, |b| b.y / H * 100.0);
    view! {
        <div
            class=class
            aria-hidden="true"
            data-testid="chart-tooltip"
            style:left=move || format!("{:.2}%", left())
            style:top=move || format!("{:.2}%", top())
        >
            {move || at().map(|i| labels[i].clone())}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::count_ticks;

    #[test]
    fn ticks_are_whole_counts_in_round_steps() {
        assert_eq!(count_ticks(0), [0, 1]);
        assert_eq!(count_ticks(1), [0, 1]);
        assert_eq!(count_ticks(2), [0, 1, 2]);
        assert_eq!(count_ticks(3), [0, 1, 2, 3]);
        assert_eq!(count_ticks(5), [0, 1, 2, 3, 4, 5]);
        assert_eq!(count_ticks(6), [0, 2, 4, 6]);
        assert_eq!(count_ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(count_ticks(10), [0, 2, 4, 6, 8, 10]);
        assert_eq!(count_ticks(11), [0, 5, 10, 15]);
        assert_eq!(count_ticks(17), [0, 5, 10, 15, 20]);
        assert_eq!(count_ticks(100), [0, 20, 40, 60, 80, 100]);
        assert_eq!(count_ticks(101), [0, 50, 100, 150]);
        assert_eq!(count_ticks(-4), [0, 1]);
    }

    #[test]
    fn ticks_cover_the_maximum_with_at_most_five_intervals() {
        for max in (0..2_000).chain([999_999, 1_000_001, i64::MAX]) {
            let ticks = count_ticks(max);
            let step = ticks[1];
            assert!(ticks.len() >= 2 && ticks.len() <= 6, "{max}: {ticks:?}");
            assert!(
                *ticks.last().unwrap() >= max.min(1_000_000_000_000),
                "{max}"
            );
            assert!(
                *ticks.last().unwrap() - step < max.max(1),
                "{max}: {ticks:?}"
            );
            let digits = step / 10i64.pow(step.ilog10());
            assert!([1, 2, 5].contains(&digits), "{max}: step {step}");
        }
    }
}
