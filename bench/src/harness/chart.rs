//! The benchmark chart: horizontal bar panels, one under the other, drawn with `plotters`
//! on its bitmap backend and written as a PNG.
//!
//! Text is laid out and rasterised by `ab_glyph` (pure Rust) with a font compiled into the
//! binary (Ubuntu Light from `epaint_default_fonts`), so drawing the chart needs no system
//! font or fontconfig. The Ubuntu Font Licence 1.0 lets the font be embedded and
//! redistributed unchanged; documents drawn with it (the chart) are not bound by it.
//! The glyphs' coverage is painted onto the plotters canvas pixel by pixel rather than
//! through plotters' own `ab_glyph` text feature: that one (plotters 0.3.7) drops each
//! glyph's left side bearing, which leaves visibly uneven gaps between letters.
//!
//! Drawing is two steps: `layout` turns the content into positioned shapes and the
//! canvas height, measuring every text with the font so that none runs past the right
//! margin (long lines wrap, long labels and values shrink and then are cut with "…");
//! [`write_png`] paints those shapes. Keeping the layout apart lets the tests check it
//! without reading pixels back.

use std::path::Path;
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, GlyphId, PxScale, ScaleFont as _, point};
use anyhow::{Context as _, Result, ensure};
use plotters::prelude::*;
use plotters::style::RGBColor;

const BLACK: RGBColor = RGBColor(25, 25, 25);
const GREY: RGBColor = RGBColor(95, 95, 95);
const LIGHT: RGBColor = RGBColor(225, 225, 225);
/// The colour of userpool's bars.
const OURS: RGBColor = RGBColor(31, 119, 180);
/// The colour of the peers' bars.
const PEER: RGBColor = RGBColor(255, 127, 14);
/// The colour of a failed or missing measurement, and of the footer's failure lines.
const MISSING: RGBColor = RGBColor(200, 60, 60);

/// The canvas width; the height follows from the content.
const WIDTH: i32 = 1400;
const MARGIN: i32 = 24;
/// The column left of the bars that holds their labels.
const LABEL_W: i32 = 430;
const BAR_H: i32 = 22;
const BAR_GAP: i32 = 8;
/// Bars get at least this much room even when the value texts are long; those texts are
/// then shrunk or cut instead.
const MIN_BAR_AREA: i32 = 240;
/// Space between the end of a bar and its value text.
const TEXT_GAP: i32 = 8;

const TITLE_SIZE: u32 = 30;
const SUBTITLE_SIZE: u32 = 17;
const PANEL_TITLE_SIZE: u32 = 19;
/// Bar labels and value texts: the normal size, then the size tried before cutting.
const BAR_TEXT_SIZES: [u32; 2] = [16, 13];
const FOOTER_SIZE: u32 = 14;

/// One bar of a panel.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Shown left of the bar.
    pub label: String,
    /// The length; `None` for a measurement that is missing (drawn as text only).
    pub value: Option<f64>,
    /// Shown right of the bar.
    pub text: String,
    /// Whether this is userpool's bar.
    pub ours: bool,
}

/// A titled group of bars sharing one linear scale starting at zero.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The panel's title (units and which way is better).
    pub title: String,
    /// Its bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// Something to paint, in canvas pixels.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// A filled rectangle from `(x, y)`, `w` by `h` pixels.
    Rect {
        x: i32,
        y: i32,
        w: i32,
        h: i32,
        colour: RGBColor,
    },
    /// One line of text whose line box starts at `(x, top)`; `width` is its measured width.
    Text {
        x: i32,
        top: i32,
        size: u32,
        width: i32,
        colour: RGBColor,
        text: String,
    },
}

/// The shapes of a chart and the canvas height they need.
#[derive(Debug)]
struct Layout {
    height: i32,
    shapes: Vec<Shape>,
}

/// The height of one line of text at `size`, with the leading between lines.
fn line_height(size: u32) -> i32 {
    (f64::from(size) * 1.3).round() as i32
}

/// The embedded font, parsed once per process.
fn font() -> Result<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok())
        .as_ref()
        .context("the chart's embedded font did not parse")
}

/// The glyphs of one line of `text` at `size` pixels (the height from descender to
/// ascender) with their pen positions from the line's start, kerning applied; and the
/// line's advance width.
fn glyph_run(text: &str, size: u32) -> Result<(Vec<(GlyphId, f32)>, f32)> {
    let scaled = font()?.as_scaled(PxScale::from(size as f32));
    let mut run = Vec::with_capacity(text.len());
    let mut pen = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            pen += scaled.kern(previous, id);
        }
        run.push((id, pen));
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
    Ok((run, pen))
}

/// The width in pixels of `text` at `size`, from the font's advances.
fn text_width(text: &str, size: u32) -> Result<i32> {
    let (_, width) = glyph_run(text, size)?;
    Ok(width.ceil() as i32)
}

/// The longest start of `text` that, followed by "…", is at most `max_w` wide; just "…"
/// when not even one character fits.
fn cut(text: &str, size: u32, max_w: i32) -> Result<String> {
    let chars: Vec<char> = text.chars().collect();
    let with_ellipsis = |n: usize| -> String {
        let mut s: String = chars[..n].iter().collect();
        s.push('…');
        s
    };
    // Widths grow with the number of characters, so the longest fitting start is found
    // by bisection: `lo` characters always fit, `hi` never do.
    let (mut lo, mut hi) = (0, chars.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if text_width(&with_ellipsis(mid), size)? <= max_w {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(with_ellipsis(lo))
}

/// `text` on one line: line breaks, tabs and other control characters (which the font
/// has no glyph for) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` on one line at the first of `sizes` at which it fits in `max_w`, else cut to
/// fit at the last (smallest) size. Returns the text, its size and its width.
fn fit(text: &str, sizes: [u32; 2], max_w: i32) -> Result<(String, u32, i32)> {
    let text = one_line(text);
    for size in sizes {
        let w = text_width(&text, size)?;
        if w <= max_w {
            return Ok((text, size, w));
        }
    }
    let smallest = sizes[1];
    let cut_text = cut(&text, smallest, max_w)?;
    let w = text_width(&cut_text, smallest)?;
    Ok((cut_text, smallest, w))
}

/// Splits `text` into lines at most `max_w` wide at `size`: at white space (runs of which,
/// line breaks included, count as one space) where possible, inside a word only when the
/// word alone is too wide.
fn wrap(text: &str, size: u32, max_w: i32) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size)? <= max_w {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The word starts a line of its own; break it while it is wider than a line.
        let mut rest: Vec<char> = word.chars().collect();
        while !rest.is_empty() && text_width(&rest.iter().collect::<String>(), size)? > max_w {
            let mut take = 1;
            while take < rest.len()
                && text_width(&rest[..=take].iter().collect::<String>(), size)? <= max_w
            {
                take += 1;
            }
            lines.push(rest[..take].iter().collect());
            rest.drain(..take);
        }
        current = rest.into_iter().collect();
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

/// Lays out the chart: title, subtitle lines, the panels one under the other, footer lines.
fn layout(title: &str, subtitle: &[String], panels: &[Panel], footer: &[String]) -> Result<Layout> {
    let full_w = WIDTH - 2 * MARGIN;
    let mut shapes = Vec::new();
    let mut y = MARGIN;
    // Lines of text across the full width, wrapped, one under the other.
    let paragraph = |shapes: &mut Vec<Shape>, y: &mut i32, text: &str, size, colour| {
        for line in wrap(text, size, full_w)? {
            shapes.push(Shape::Text {
                x: MARGIN,
                top: *y,
                size,
                width: text_width(&line, size)?,
                colour,
                text: line,
            });
            *y += line_height(size);
        }
        anyhow::Ok(())
    };

    paragraph(&mut shapes, &mut y, title, TITLE_SIZE, BLACK)?;
    y += 4;
    for line in subtitle {
        paragraph(&mut shapes, &mut y, line, SUBTITLE_SIZE, GREY)?;
    }
    y += 18;

    for panel in panels {
        shapes.push(Shape::Rect {
            x: MARGIN,
            y: y - 8,
            w: full_w,
            h: 1,
            colour: LIGHT,
        });
        paragraph(&mut shapes, &mut y, &panel.title, PANEL_TITLE_SIZE, BLACK)?;
        y += 4;
        if panel.bars.is_empty() {
            paragraph(
                &mut shapes,
                &mut y,
                "no measurement",
                BAR_TEXT_SIZES[0],
                GREY,
            )?;
        }
        let max = panel
            .bars
            .iter()
            .filter_map(|b| b.value)
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(0.0f64, f64::max);
        let mut widest_text = 0;
        for bar in &panel.bars {
            widest_text = widest_text.max(text_width(&bar.text, BAR_TEXT_SIZES[0])?);
        }
        let bar_area = (full_w - LABEL_W - widest_text - 2 * TEXT_GAP).max(MIN_BAR_AREA);
        for bar in &panel.bars {
            let (label, size, width) = fit(&bar.label, BAR_TEXT_SIZES, LABEL_W - 12)?;
            shapes.push(Shape::Text {
                x: MARGIN,
                top: y + (BAR_H - size as i32) / 2,
                size,
                width,
                colour: BLACK,
                text: label,
            });
            // A value that is absent or not a number was not measured: no bar, and its
            // text in the failure colour.
            let measured = bar.value.filter(|v| v.is_finite());
            let len = match measured {
                Some(v) if v > 0.0 && max > 0.0 => ((v / max) * f64::from(bar_area))
                    .round()
                    .clamp(2.0, f64::from(bar_area))
                    as i32,
                _ => 0,
            };
            let x0 = MARGIN + LABEL_W;
            if len > 0 {
                shapes.push(Shape::Rect {
                    x: x0,
                    y,
                    w: len,
                    h: BAR_H,
                    colour: if bar.ours { OURS } else { PEER },
                });
            }
            let text_x = x0 + len + TEXT_GAP;
            let (text, size, width) = fit(&bar.text, BAR_TEXT_SIZES, WIDTH - MARGIN - text_x)?;
            shapes.push(Shape::Text {
                x: text_x,
                top: y + (BAR_H - size as i32) / 2,
                size,
                width,
                colour: if measured.is_some() { BLACK } else { MISSING },
                text,
            });
            y += BAR_H + BAR_GAP;
        }
        y += 22;
    }

    for line in footer {
        paragraph(&mut shapes, &mut y, line, FOOTER_SIZE, MISSING)?;
    }
    Ok(Layout {
        height: y + MARGIN,
        shapes,
    })
}

/// The pixels of one line of text whose line box starts at `(x, top)`, each with how much
/// of it the glyphs cover (0 to 1), for blending the text colour over the background.
fn rasterise(text: &str, size: u32, x: i32, top: i32) -> Result<Vec<(i32, i32, f64)>> {
    let font = font()?;
    let scale = PxScale::from(size as f32);
    let baseline = top as f32 + font.as_scaled(scale).ascent();
    let (run, _) = glyph_run(text, size)?;
    let mut pixels = Vec::new();
    for (id, pen) in run {
        let glyph = id.with_scale_and_position(scale, point(x as f32 + pen, baseline));
        // Spaces and other glyphs without an outline draw nothing.
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        // The coverage callback counts from the glyph's pixel bounds, which include its
        // side bearing and its height above the baseline.
        let bounds = outlined.px_bounds();
        let (left, glyph_top) = (bounds.min.x as i32, bounds.min.y as i32);
        outlined.draw(|gx, gy, coverage| {
            if coverage > 0.0 {
                pixels.push((
                    left + gx as i32,
                    glyph_top + gy as i32,
                    f64::from(coverage.min(1.0)),
                ));
            }
        });
    }
    Ok(pixels)
}

/// Draws the panels one under the other, with a title and footer lines, and writes a PNG.
pub fn write_png(
    path: &Path,
    title: &str,
    subtitle: &[String],
    panels: &[Panel],
    footer: &[String],
) -> Result<()> {
    // The bitmap backend picks the image format from the file name: insist on PNG rather
    // than silently writing something else.
    ensure!(
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png")),
        "the chart must be written to a .png file, not {}",
        path.display()
    );
    let chart = layout(title, subtitle, panels, footer)?;
    let size = (
        WIDTH as u32,
        u32::try_from(chart.height).unwrap_or(1).max(1),
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    for shape in &chart.shapes {
        match shape {
            Shape::Rect { x, y, w, h, colour } => {
                root.draw(&Rectangle::new(
                    [(*x, *y), (x + w - 1, y + h - 1)],
                    colour.filled(),
                ))?;
            }
            Shape::Text {
                x,
                top,
                size,
                colour,
                text,
                ..
            } => {
                for (px, py, coverage) in rasterise(text, *size, *x, *top)? {
                    root.draw_pixel((px, py), &colour.mix(coverage))?;
                }
            }
        }
    }
    root.present()
        .with_context(|| format!("writing the chart {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<f64>, text: &str, ours: bool) -> Bar {
        Bar {
            label: label.into(),
            value,
            text: text.into(),
            ours,
        }
    }

    /// Panels with a failed measurement, a label far wider than its column, a value text
    /// far wider than the room right of its bar and a title wider than the canvas.
    fn awkward_panels() -> Vec<Panel> {
        vec![
            Panel {
                title: "Client SRP work per sign-in - ms, lower is better".into(),
                bars: vec![
                    bar("userpool", Some(2.0), "2.00 ms", true),
                    bar(
                        "amazon-cognito-identity-js 6.3.21",
                        Some(180.0),
                        "180 ms (90.00x worse)",
                        false,
                    ),
                    bar("pycognito 2024.5.1", None, "failed", false),
                ],
            },
            Panel {
                title: "A panel title that goes on and on about what it measures and how and why, \
                        longer than the whole width of the chart so that it has to wrap onto a \
                        second line to be read at all, and then some more words about the peers \
                        and the machine"
                    .into(),
                bars: vec![
                    bar(
                        "a label much too long for the label column, naming the peer, its \
                         version, its runtime and the options it was run with",
                        Some(10.0),
                        &format!("10 ms ({})", "a value text that keeps going ".repeat(6)),
                        false,
                    ),
                    bar("userpool", Some(f64::NAN), "NaN ms", true),
                ],
            },
            Panel {
                title: "An empty panel".into(),
                bars: Vec::new(),
            },
        ]
    }

    /// The texts of a layout: (text, x, width, colour, size).
    fn texts(chart: &Layout) -> Vec<(&str, i32, i32, RGBColor, u32)> {
        chart
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text {
                    x,
                    width,
                    colour,
                    text,
                    size,
                    ..
                } => Some((text.as_str(), *x, *width, *colour, *size)),
                Shape::Rect { .. } => None,
            })
            .collect()
    }

    #[test]
    fn long_texts_stay_inside_the_canvas() {
        let footer = vec![format!(
            "server_sign_ins: failed: {}",
            "error text ".repeat(40)
        )];
        let subtitle = vec!["machine: 2 cores".to_owned(), "x".repeat(400)];
        let chart = layout("userpool vs peers", &subtitle, &awkward_panels(), &footer).unwrap();
        let texts = texts(&chart);
        for (text, x, width, _, size) in &texts {
            assert_eq!(*width, text_width(text, *size).unwrap(), "{text:?}");
            assert!(x + width <= WIDTH - MARGIN, "{text:?} runs past the margin");
        }
        // Wrapped, not cut: every word of the panel title and the footer is still there.
        let all: String = texts.iter().map(|t| t.0).collect::<Vec<_>>().join(" ");
        // Three panels, the long title on two lines or more.
        let title_lines = texts.iter().filter(|t| t.4 == PANEL_TITLE_SIZE).count();
        assert!(
            title_lines >= 4,
            "the long panel title is not wrapped: {all}"
        );
        assert!(
            all.contains("words about the peers and the machine"),
            "{all}"
        );
        assert_eq!(all.matches("error text").count(), 40, "{all}");
        let subtitle_lines: Vec<&str> = texts
            .iter()
            .filter(|t| t.4 == SUBTITLE_SIZE)
            .map(|t| t.0)
            .collect();
        assert!(subtitle_lines.len() >= 3, "{subtitle_lines:?}");
        assert_eq!(subtitle_lines[1..].concat(), "x".repeat(400));
        // Cut: the long label and the long value text end in an ellipsis.
        let label = texts
            .iter()
            .find(|t| t.0.starts_with("a label much"))
            .unwrap();
        assert!(
            label.0.ends_with('…') && label.1 + label.2 <= MARGIN + LABEL_W,
            "{label:?}"
        );
        let value = texts.iter().find(|t| t.0.starts_with("10 ms")).unwrap();
        assert!(value.0.ends_with('…'), "{value:?}");
        let (text, ..) = fit("two\nlines", BAR_TEXT_SIZES, 400).unwrap();
        assert_eq!(text, "two lines");
    }

    #[test]
    fn a_missing_measurement_is_text_without_a_bar() {
        let chart = layout("t", &[], &awkward_panels(), &[]).unwrap();
        let texts = texts(&chart);
        let failed = texts.iter().find(|t| t.0 == "failed").unwrap();
        assert_eq!(failed.3, MISSING);
        // No bar: the text starts right after the label column.
        assert_eq!(failed.1, MARGIN + LABEL_W + TEXT_GAP);
        let nan = texts.iter().find(|t| t.0 == "NaN ms").unwrap();
        assert_eq!((nan.1, nan.3), (MARGIN + LABEL_W + TEXT_GAP, MISSING));
        assert!(texts.iter().any(|t| t.0 == "no measurement"));
        // Three measured bars (2, 180 and 10 ms), userpool's in its colour, the longest in
        // each panel filling the room.
        let bars: Vec<(i32, RGBColor)> = chart
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { w, h, colour, .. } if *h == BAR_H => Some((*w, *colour)),
                _ => None,
            })
            .collect();
        assert_eq!(bars.len(), 3, "{bars:?}");
        assert_eq!(bars[0].1, OURS);
        assert_eq!((bars[1].1, bars[2].1), (PEER, PEER));
        assert!(bars[0].0 < bars[1].0 / 50, "{bars:?}");
    }

    #[test]
    fn wraps_at_spaces_and_inside_words_too_wide() {
        let one = text_width("aa bb", 16).unwrap();
        assert_eq!(wrap("aa bb cc", 16, one).unwrap(), vec!["aa bb", "cc"]);
        assert_eq!(wrap("aa\nbb  cc", 16, one).unwrap(), vec!["aa bb", "cc"]);
        let lines = wrap(&"w".repeat(50), 16, 100).unwrap();
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat(), "w".repeat(50));
        for line in &lines {
            assert!(text_width(line, 16).unwrap() <= 100, "{line}");
        }
    }

    #[test]
    fn writes_a_png_of_the_chart_width() {
        let dir = std::env::temp_dir().join(format!("userpool-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chart.png");
        let subtitle =
            vec!["medians over 3 runs; ratio = how many times better userpool is".to_owned()];
        let footer = vec!["server_sign_ins: failed: boom".to_owned()];
        write_png(
            &path,
            "userpool vs peers",
            &subtitle,
            &awkward_panels(),
            &footer,
        )
        .unwrap();
        let png = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // The first chunk is IHDR: width and height, big-endian, after its length and name.
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!(width, 1400);
        let expected = layout("userpool vs peers", &subtitle, &awkward_panels(), &footer).unwrap();
        assert_eq!(i64::from(height), i64::from(expected.height));
    }

    #[test]
    fn refuses_another_image_format() {
        let err = write_png(Path::new("chart.jpg"), "t", &[], &[], &[]).unwrap_err();
        assert!(err.to_string().contains(".png"), "{err}");
    }
}
