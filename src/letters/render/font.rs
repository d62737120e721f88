//! The font every letter's PDF embeds: Noto Serif CJK SC, subset to GBK and shipped in the
//! repository (`assets/fonts/`), so a letter shows its Chinese on a machine without CJK fonts.
//! Text is set glyph by glyph from the font's character map (CJK needs no shaping); a
//! character the font lacks is drawn as a white square (□) and counted, never dropped.

use std::ops::Range;
use std::sync::OnceLock;

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, GlyphId, MetadataProvider};

use crate::error::AppError;

/// The subset font (SIL Open Font License 1.1, `assets/fonts/OFL.txt`).
static FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/NotoSerifCJKsc-Regular-GBK.otf");

/// The embedded font, read once.
pub(super) struct Face {
    /// The font as krilla embeds it (a subset of the glyphs each document uses).
    pub pdf: krilla::text::Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

/// One glyph of a line, its advance in ems.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlacedGlyph {
    /// The glyph in the font; the white square's for a character the font lacks.
    pub glyph: u32,
    /// The advance, in ems.
    pub advance: f32,
    /// The glyph's character in the line's text, as a byte range.
    pub text: Range<usize>,
}

impl Face {
    /// The embedded font.
    pub fn get() -> Result<&'static Face, AppError> {
        static FACE: OnceLock<Option<Face>> = OnceLock::new();
        FACE.get_or_init(Face::read).as_ref().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the letters' embedded font cannot be read"))
        })
    }

    fn read() -> Option<Face> {
        let font = FontRef::new(FONT_DATA).ok()?;
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Some(Face {
            pdf: krilla::text::Font::new(FONT_DATA.into(), 0)?,
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    /// The glyph of `c`, its advance in ems and whether the font has `c`; the glyph of `□`
    /// (white square) when it has not, which the PDF's text still maps to `c`.
    pub fn glyph(&self, c: char) -> (u32, f32, bool) {
        let found = self.charmap.map(c);
        let glyph = found
            .or_else(|| self.charmap.map('□'))
            .unwrap_or(GlyphId::NOTDEF);
        let advance = self
            .metrics
            .advance_width(glyph)
            .map_or(1.0, |width| width / self.units_per_em);
        (glyph.to_u32(), advance, found.is_some())
    }

    /// `text` as glyphs, and how many of its characters the font lacks.
    pub fn shape(&self, text: &str) -> (Vec<PlacedGlyph>, usize) {
        let mut missing = 0;
        let glyphs = text
            .char_indices()
            .map(|(at, c)| {
                let (glyph, advance, found) = self.glyph(c);
                missing += usize::from(!found);
                PlacedGlyph {
                    glyph,
                    advance,
                    text: at..at + c.len_utf8(),
                }
            })
            .collect();
        (glyphs, missing)
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// `text` broken into lines no wider than `width` points at `size`, the first line
    /// `first_indent` points narrower. CJK breaks between any two characters; closing
    /// punctuation never starts a line (it hangs past the edge instead).
    pub fn wrap(&self, text: &str, size: f32, width: f32, first_indent: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = first_indent;
        for c in text.chars() {
            let advance = self.glyph(c).1 * size;
            if !line.is_empty() && used + advance > width && !closes(c) {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            if line.is_empty() && c == ' ' && !lines.is_empty() {
                continue;
            }
            line.push(c);
            used += advance;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Punctuation that must not start a line.
fn closes(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '》'
            | '」'
            | '』'
            | '”'
            | '’'
            | '〕'
            | '】'
            | ','
            | '.'
            | ';'
            | ':'
            | ')'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_gbk_hanzi_and_punctuation_and_lacks_extension_b() {
        let face = Face::get().expect("font");
        for c in "张王李赵喆堃珺昇，。（）〔〕0123456789Xx".chars() {
            assert!(face.glyph(c).2, "{c} is in the font");
        }
        assert!(!face.glyph('\u{20000}').2);
        assert_eq!(face.glyph('\u{20000}').0, face.glyph('□').0);
    }

    #[test]
    fn lines_break_between_characters_and_punctuation_hangs() {
        let face = Face::get().expect("font");
        let lines = face.wrap("一二三四五，六", 10.0, 50.0, 0.0);
        assert_eq!(lines, vec!["一二三四五，".to_owned(), "六".to_owned()]);
        let indented = face.wrap("一二三四五六", 10.0, 50.0, 20.0);
        assert_eq!(indented, vec!["一二三".to_owned(), "四五六".to_owned()]);
    }
}
