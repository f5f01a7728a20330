//! The detector's post-processing (DB, "differentiable binarisation"): the model marks the
//! shrunk core of every text region with a high probability; the cores above a threshold are
//! grouped into connected regions, scored by their mean probability, and grown back by the
//! margin the training shrank them by (area × ratio / perimeter), in the page's pixels.

/// A text region in page pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextBox {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl TextBox {
    pub fn width(&self) -> u32 {
        self.right - self.left
    }

    pub fn height(&self) -> u32 {
        self.bottom - self.top
    }
}

/// What counts as text in the probability map.
#[derive(Clone, Copy, Debug)]
pub struct DbParams {
    /// A pixel belongs to a text core above this probability.
    pub threshold: f32,
    /// A region is text when its mean probability reaches this.
    pub box_threshold: f32,
    /// How far a core is grown back: `area × ratio / perimeter` on every side.
    pub unclip_ratio: f32,
    /// Regions thinner than this (in map pixels) are noise.
    pub min_size: u32,
}

impl Default for DbParams {
    fn default() -> Self {
        // PaddleOCR's defaults for its DB detectors.
        DbParams {
            threshold: 0.3,
            box_threshold: 0.6,
            unclip_ratio: 1.5,
            min_size: 3,
        }
    }
}

/// Text boxes from a `width × height` probability map, scaled by `scale_x`/`scale_y` to the
/// page and clipped to `page_width × page_height`, top to bottom then left to right.
pub fn boxes_from_map(
    map: &[f32],
    width: usize,
    height: usize,
    (scale_x, scale_y): (f32, f32),
    (page_width, page_height): (u32, u32),
    params: &DbParams,
) -> Vec<TextBox> {
    let mut label = vec![0u32; width * height];
    let mut next = 0u32;
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..width * height {
        if label[start] != 0 || map[start] <= params.threshold {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0usize, 0usize);
        let (mut sum, mut count) = (0f64, 0usize);
        // 4-connected flood fill over the pixels above the threshold.
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            sum += f64::from(map[i]);
            count += 1;
            let mut visit = |j: usize| {
                if label[j] == 0 && map[j] > params.threshold {
                    label[j] = next;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < width {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - width);
            }
            if y + 1 < height {
                visit(i + width);
            }
        }
        let (w, h) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
        if w.min(h) < params.min_size as f32
            || (sum / count as f64) < f64::from(params.box_threshold)
        {
            continue;
        }
        let grow = w * h * params.unclip_ratio / (2.0 * (w + h));
        let clip = |v: f32, max: u32| v.clamp(0.0, max as f32).round() as u32;
        let b = TextBox {
            left: clip((x0 as f32 - grow) * scale_x, page_width),
            top: clip((y0 as f32 - grow) * scale_y, page_height),
            right: clip((x1 as f32 + 1.0 + grow) * scale_x, page_width),
            bottom: clip((y1 as f32 + 1.0 + grow) * scale_y, page_height),
        };
        if b.width() > 0 && b.height() > 0 {
            out.push(b);
        }
    }
    out.sort_by_key(|b| (b.top, b.left));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map with rectangles of probability `p` (x, y, w, h) on a zero background.
    fn map(width: usize, height: usize, rects: &[(usize, usize, usize, usize, f32)]) -> Vec<f32> {
        let mut m = vec![0.0; width * height];
        for &(x, y, w, h, p) in rects {
            for yy in y..y + h {
                for xx in x..x + w {
                    m[yy * width + xx] = p;
                }
            }
        }
        m
    }

    #[test]
    fn each_core_becomes_one_box_grown_back_and_scaled_to_the_page() {
        let m = map(100, 40, &[(10, 5, 40, 6, 0.9), (60, 25, 20, 6, 0.8)]);
        let boxes = boxes_from_map(&m, 100, 40, (2.0, 2.0), (200, 80), &DbParams::default());
        assert_eq!(boxes.len(), 2);
        // 40×6 core: grown by 40·6·1.5 / (2·46) ≈ 3.9 map pixels on every side, ×2 for the page.
        let b = boxes[0];
        assert_eq!((b.left, b.top, b.right, b.bottom), (12, 2, 108, 30));
        assert!(boxes[1].top > boxes[0].bottom);
    }

    #[test]
    fn faint_regions_and_specks_are_not_text() {
        let m = map(50, 20, &[(5, 5, 20, 5, 0.45), (30, 5, 2, 2, 0.95)]);
        assert!(boxes_from_map(&m, 50, 20, (1.0, 1.0), (50, 20), &DbParams::default()).is_empty());
    }
}
