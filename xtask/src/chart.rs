//! The benchmark chart: horizontal bar panels drawn into an RGB canvas with a built-in
//! 5×7 pixel font, written as a PNG by a small encoder (fixed-Huffman deflate with
//! run-length matches, which suits flat-coloured charts). No dependencies.

use std::path::Path;

use anyhow::Result;

/// A colour.
pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [25, 25, 25];
pub const GREY: Rgb = [120, 120, 120];
pub const LIGHT: Rgb = [225, 225, 225];
/// The colour of userpool's bars.
pub const OURS: Rgb = [31, 119, 180];
/// The colour of the peers' bars.
pub const PEER: Rgb = [255, 127, 14];
/// The colour of a failed or missing measurement.
pub const MISSING: Rgb = [200, 60, 60];

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

/// An RGB image.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            px: [WHITE].repeat(w * h).concat(),
        }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        for yy in y..(y + h).min(self.h) {
            for xx in x..(x + w).min(self.w) {
                let i = (yy * self.w + xx) * 3;
                self.px[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// Draws `s` with its top-left corner at (x, y), each font pixel `scale`×`scale`;
    /// returns the width drawn. Lowercase letters are drawn as capitals.
    fn text(&mut self, x: usize, y: usize, s: &str, scale: usize, c: Rgb) -> usize {
        let mut cx = x;
        for ch in s.chars() {
            let rows = glyph(ch);
            for (ry, row) in rows.iter().enumerate() {
                for rx in 0..5 {
                    if row & (0x10 >> rx) != 0 {
                        self.rect(cx + rx * scale, y + ry * scale, scale, scale, c);
                    }
                }
            }
            cx += 6 * scale;
        }
        cx - x
    }
}

/// The width in pixels of `s` drawn at `scale`.
fn text_width(s: &str, scale: usize) -> usize {
    s.chars().count() * 6 * scale
}

/// Splits `s` into lines of at most `max_chars` characters, at spaces where possible.
fn wrap(s: &str, max_chars: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let extra = if cur.is_empty() { 0 } else { 1 };
        if !cur.is_empty() && cur.chars().count() + extra + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while cur.chars().count() > max_chars {
            let head: String = cur.chars().take(max_chars).collect();
            let rest: String = cur.chars().skip(max_chars).collect();
            lines.push(head);
            cur = rest;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Draws the panels one under the other, with a title and footer lines, and writes a PNG.
pub fn write_png(
    path: &Path,
    title: &str,
    subtitle: &[String],
    panels: &[Panel],
    footer: &[String],
) -> Result<()> {
    const W: usize = 1400;
    const MARGIN: usize = 24;
    const LABEL_W: usize = 430;
    const BAR_H: usize = 22;
    const GAP: usize = 8;
    const MIN_BAR_AREA: usize = 240;
    let subtitle: Vec<String> = subtitle
        .iter()
        .flat_map(|l| wrap(l, (W - 2 * MARGIN) / 12))
        .collect();
    let footer: Vec<String> = footer
        .iter()
        .flat_map(|l| wrap(l, (W - 2 * MARGIN) / 6))
        .collect();

    let mut h = MARGIN + 3 * 7 + 14 + subtitle.len() * 18 + 10;
    for p in panels {
        h += 2 * 7 + 14 + p.bars.len() * (BAR_H + GAP) + 18;
    }
    h += footer.len() * 12 + MARGIN;
    let mut c = Canvas::new(W, h);

    let mut y = MARGIN;
    c.text(MARGIN, y, title, 3, BLACK);
    y += 3 * 7 + 14;
    for line in &subtitle {
        c.text(MARGIN, y, line, 2, GREY);
        y += 18;
    }
    y += 10;
    for p in panels {
        c.rect(MARGIN, y - 6, W - 2 * MARGIN, 1, LIGHT);
        c.text(MARGIN, y, &p.title, 2, BLACK);
        y += 2 * 7 + 14;
        let max = p
            .bars
            .iter()
            .filter_map(|b| b.value)
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(0.0f64, f64::max);
        let text_w = p
            .bars
            .iter()
            .map(|b| text_width(&b.text, 2))
            .max()
            .unwrap_or(0)
            + 16;
        let bar_area = (W - 2 * MARGIN - LABEL_W)
            .saturating_sub(text_w)
            .max(MIN_BAR_AREA);
        for b in &p.bars {
            let label_scale = if text_width(&b.label, 2) <= LABEL_W - 12 {
                2
            } else {
                1
            };
            let ly = y + (BAR_H - 7 * label_scale) / 2;
            c.text(MARGIN, ly, &b.label, label_scale, BLACK);
            let x0 = MARGIN + LABEL_W;
            let len = match b.value {
                Some(v) if v.is_finite() && v > 0.0 && max > 0.0 => {
                    ((v / max) * bar_area as f64).round().max(2.0) as usize
                }
                _ => 0,
            };
            let colour = if b.value.is_none() {
                MISSING
            } else if b.ours {
                OURS
            } else {
                PEER
            };
            c.rect(x0, y, len, BAR_H, colour);
            let tx = x0 + len + 8;
            let text_scale = if text_width(&b.text, 2) + tx <= W - MARGIN {
                2
            } else {
                1
            };
            let text_colour = if b.value.is_none() { MISSING } else { BLACK };
            c.text(
                tx,
                y + (BAR_H - 7 * text_scale) / 2,
                &b.text,
                text_scale,
                text_colour,
            );
            y += BAR_H + GAP;
        }
        y += 18;
    }
    for line in &footer {
        c.text(MARGIN, y, line, 1, MISSING);
        y += 12;
    }
    std::fs::write(path, encode_png(c.w, c.h, &c.px))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PNG

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// Writes bits least-significant first, as deflate wants.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: written most-significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let mut rev = 0;
        for i in 0..len {
            rev |= ((code >> i) & 1) << (len - 1 - i);
        }
        self.put(rev, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The fixed Huffman code of a literal/length symbol.
fn fixed_litlen(bits: &mut Bits, sym: u32) {
    match sym {
        0..=143 => bits.code(0x30 + sym, 8),
        144..=255 => bits.code(0x190 + sym - 144, 9),
        256..=279 => bits.code(sym - 256, 7),
        _ => bits.code(0xC0 + sym - 280, 8),
    }
}

const LEN_BASE: [u32; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// A match of `len` (3..=258) bytes at distance 1.
fn run_match(bits: &mut Bits, len: u32) {
    let i = LEN_BASE.iter().rposition(|&b| b <= len).unwrap_or(0);
    fixed_litlen(bits, 257 + i as u32);
    if LEN_EXTRA[i] > 0 {
        bits.put(len - LEN_BASE[i], LEN_EXTRA[i]);
    }
    bits.code(0, 5); // distance code 0 = distance 1
}

/// zlib stream of one fixed-Huffman deflate block; repeats of the previous byte become
/// distance-1 matches.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    let mut i = 0;
    while i < data.len() {
        if i > 0 {
            let prev = data[i - 1];
            let mut run = 0;
            while i + run < data.len() && data[i + run] == prev && run < 258 {
                run += 1;
            }
            if run >= 3 {
                run_match(&mut bits, run as u32);
                i += run;
                continue;
            }
        }
        fixed_litlen(&mut bits, u32::from(data[i]));
        i += 1;
    }
    fixed_litlen(&mut bits, 256);
    let mut out = bits.finish();
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// An 8-bit RGB PNG of `rgb` (row-major, 3 bytes a pixel). Rows use the Up filter, so
/// that a row like the one above it becomes zeros.
pub fn encode_png(w: usize, h: usize, rgb: &[u8]) -> Vec<u8> {
    let stride = w * 3;
    let mut raw = Vec::with_capacity(h * (stride + 1));
    for y in 0..h {
        let row = &rgb[y * stride..(y + 1) * stride];
        if y == 0 {
            raw.push(0);
            raw.extend_from_slice(row);
        } else {
            let above = &rgb[(y - 1) * stride..y * stride];
            raw.push(2);
            raw.extend(row.iter().zip(above).map(|(a, b)| a.wrapping_sub(*b)));
        }
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

// ---------------------------------------------------------------------------------------
// The font: 5×7, one byte a row, bit 4 the leftmost column.

fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        ',' => [0, 0, 0, 0, 0x0C, 0x04, 0x08],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        ';' => [0, 0x0C, 0x0C, 0, 0x0C, 0x04, 0x08],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        '/' => [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '[' => [0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E],
        ']' => [0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '=' => [0, 0, 0x1F, 0, 0x1F, 0, 0],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        '*' => [0, 0x04, 0x15, 0x0E, 0x15, 0x04, 0],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0, 0x04],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        '\'' => [0x04, 0x04, 0x08, 0, 0, 0, 0],
        '"' => [0x0A, 0x0A, 0, 0, 0, 0, 0],
        '|' => [0x04; 7],
        '~' => [0, 0, 0x08, 0x15, 0x02, 0, 0],
        '@' => [0x0E, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0F],
        '×' => [0, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0],
        'µ' => [0, 0, 0x11, 0x11, 0x11, 0x1E, 0x10],
        '≥' => [0x08, 0x04, 0x02, 0x04, 0x08, 0, 0x1F],
        '—' | '–' => [0, 0, 0, 0x1F, 0, 0, 0],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04], // '?'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefg", 3), vec!["abc", "def", "g"]);
    }

    #[test]
    fn png_has_the_right_frame() {
        let png = encode_png(2, 2, &[0u8; 12]);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82])); // the CRC of an empty IEND
    }
}
