//! The main window's size on the screen it opens on. `tauri.conf.json` opens it at 1280×720,
//! which fits the 1366×768 laptops offices have; on a larger monitor (1920×1080 at the front
//! desk) that leaves most of the screen empty, so the window grows to nine tenths of it.

use tauri::{LogicalPosition, LogicalSize, WebviewWindow};

/// The configured size (logical pixels).
const DEFAULT: (f64, f64) = (1280.0, 720.0);
/// Share of the monitor the window takes on a larger screen.
const SHARE: f64 = 0.9;

/// The size for a monitor of `screen` logical pixels, or `None` to keep the configured one.
pub fn fitted(screen: (f64, f64)) -> Option<(f64, f64)> {
    let (w, h) = ((screen.0 * SHARE).round(), (screen.1 * SHARE).round());
    (w > DEFAULT.0 && h > DEFAULT.1).then_some((w, h))
}

/// Grow `window` on a large monitor, centred; nothing when the monitor is unknown or small.
pub fn fit(window: &WebviewWindow) {
    let Ok(Some(monitor)) = window.current_monitor() else { return };
    let screen = monitor.size().to_logical::<f64>(monitor.scale_factor());
    let Some((w, h)) = fitted((screen.width, screen.height)) else { return };
    let origin = monitor.position().to_logical::<f64>(monitor.scale_factor());
    let x = origin.x + (screen.width - w) / 2.0;
    let y = origin.y + (screen.height - h) / 2.0;
    if let Err(e) =
        window.set_size(LogicalSize::new(w, h)).and_then(|()| window.set_position(LogicalPosition::new(x, y)))
    {
        tracing::warn!(error = %e, "window size not applied");
    }
}

#[cfg(test)]
mod tests {
    use super::fitted;

    #[test]
    fn the_window_grows_only_on_screens_larger_than_a_laptop() {
        assert_eq!(fitted((1366.0, 768.0)), None, "a laptop keeps 1280×720");
        assert_eq!(fitted((1280.0, 800.0)), None);
        assert_eq!(fitted((1920.0, 1080.0)), Some((1728.0, 972.0)));
        assert_eq!(fitted((2560.0, 1440.0)), Some((2304.0, 1296.0)));
    }
}
