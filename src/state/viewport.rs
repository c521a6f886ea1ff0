//! Zoom and pan of the tree drawing, as plain arithmetic.

/// The visible window onto the drawing: a scale and a translation, in view-box units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// Zoom factor.
    pub scale: f64,
    /// Translation.
    pub x: f64,
    /// Translation.
    pub y: f64,
}

/// The view box the tree is drawn into.
pub const VIEW_W: f64 = 800.0;
/// The view box height.
pub const VIEW_H: f64 = 420.0;
const MIN_SCALE: f64 = 0.05;
const MAX_SCALE: f64 = 4.0;

impl Default for Viewport {
    fn default() -> Self {
        Viewport { scale: 1.0, x: 0.0, y: 0.0 }
    }
}

impl Viewport {
    /// Shows a `width` × `height` drawing whole, centred, never magnified above 1.5×.
    #[must_use]
    pub fn fit(width: f64, height: f64) -> Viewport {
        let scale = (VIEW_W / width.max(1.0)).min(VIEW_H / height.max(1.0)).clamp(MIN_SCALE, 1.5);
        Viewport { scale, x: (VIEW_W - width * scale) / 2.0, y: (VIEW_H - height * scale) / 2.0 }
    }

    /// Zooms by `factor` around the view-box point (`cx`, `cy`), which stays put.
    #[must_use]
    pub fn zoom(self, factor: f64, cx: f64, cy: f64) -> Viewport {
        let scale = (self.scale * factor).clamp(MIN_SCALE, MAX_SCALE);
        let k = scale / self.scale;
        Viewport { scale, x: cx - (cx - self.x) * k, y: cy - (cy - self.y) * k }
    }

    /// Moves by (`dx`, `dy`) view-box units.
    #[must_use]
    pub fn pan(self, dx: f64, dy: f64) -> Viewport {
        Viewport { x: self.x + dx, y: self.y + dy, ..self }
    }

    /// The SVG transform.
    #[must_use]
    pub fn transform(&self) -> String {
        format!("translate({:.1},{:.1}) scale({:.4})", self.x, self.y, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_centres_and_zoom_keeps_the_focus_point() {
        let v = Viewport::fit(1600.0, 420.0);
        assert!((v.scale - 0.5).abs() < 1e-9);
        assert!((v.x - 0.0).abs() < 1e-9 && (v.y - 105.0).abs() < 1e-9);
        let small = Viewport::fit(100.0, 100.0);
        assert!((small.scale - 1.5).abs() < 1e-9, "small trees are not blown up");
        let z = v.zoom(2.0, 400.0, 210.0);
        // The drawing point under (400, 210) is the same before and after.
        let before = ((400.0 - v.x) / v.scale, (210.0 - v.y) / v.scale);
        let after = ((400.0 - z.x) / z.scale, (210.0 - z.y) / z.scale);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        assert_eq!(v.zoom(1e9, 0.0, 0.0).scale, 4.0);
        assert_eq!(v.pan(3.0, -2.0).x, v.x + 3.0);
        assert_eq!(Viewport::default().transform(), "translate(0.0,0.0) scale(1.0000)");
    }
}
