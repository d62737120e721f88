//! The letter with its list as PDF: the laid-out pages ([`super::layout`]) painted with krilla,
//! which embeds a subset of the shipped CJK font holding only the glyphs the letter uses, with
//! a ToUnicode map, so the text can be searched and copied. A character the font lacks is drawn
//! as a white square (□; its text still maps to the character) and a warning says how many
//! there were, without saying which (they come from personal data).

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use super::super::document::LetterDocument;
use super::blocks::{self, BlockKind};
use super::font::Face;
use super::layout::{self, Item, Page};
use crate::error::AppError;

/// A rendered PDF and how many of its characters the font lacked.
pub(super) struct Pdf {
    /// The file.
    pub bytes: Vec<u8>,
    /// Characters the font lacks, drawn as □.
    pub missing: usize,
    /// The number of pages.
    pub pages: usize,
}

/// The PDF of `document`.
pub(super) fn render(document: &LetterDocument) -> Result<Pdf, AppError> {
    let face = Face::get()?;
    let wording = blocks::wording(document)?;
    let rows = super::rows(document);
    let pages = layout::lay_out(face, &wording, super::columns(document.kind), &rows);
    let mut pdf = Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(wording.first(BlockKind::Title).to_owned())
            .language("zh-CN".to_owned()),
    );
    let mut missing = 0;
    for page in &pages {
        let settings = PageSettings::from_wh(page.width, page.height)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("letter PDF: a page has no size")))?;
        let mut pdf_page = pdf.start_page_with(settings);
        let mut surface = pdf_page.surface();
        missing += paint(&mut surface, face, page);
        surface.finish();
        pdf_page.finish();
    }
    let bytes = pdf
        .finish()
        .map_err(|error| AppError::Internal(anyhow::anyhow!("letter PDF: {error:?}")))?;
    if missing > 0 {
        tracing::warn!(
            missing,
            "letter PDF: characters missing from the embedded font are drawn as □"
        );
    }
    Ok(Pdf {
        bytes,
        missing,
        pages: pages.len(),
    })
}

fn gray(level: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(level, level, level).into(),
        ..Fill::default()
    }
}

/// Draws the page's items; returns how many characters the font lacked.
fn paint(surface: &mut Surface, face: &Face, page: &Page) -> usize {
    let mut missing = 0;
    for item in &page.items {
        match item {
            Item::Text {
                x,
                baseline,
                size,
                text,
                gray: light,
            } => {
                let (placed, lacking) = face.shape(text);
                missing += lacking;
                let glyphs: Vec<KrillaGlyph> = placed
                    .into_iter()
                    .map(|g| {
                        KrillaGlyph::new(
                            GlyphId::new(g.glyph),
                            g.advance,
                            0.0,
                            0.0,
                            0.0,
                            g.text,
                            None,
                        )
                    })
                    .collect();
                surface.set_fill(Some(if *light { gray(110) } else { Fill::default() }));
                surface.set_stroke(None);
                surface.draw_glyphs(
                    Point::from_xy(*x, *baseline),
                    &glyphs,
                    face.pdf.clone(),
                    text,
                    *size,
                    false,
                );
            }
            Item::Line { from, to, width } => {
                let mut path = PathBuilder::new();
                path.move_to(from.0, from.1);
                path.line_to(to.0, to.1);
                if let Some(path) = path.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        width: *width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                }
            }
            Item::Shade { x, y, w, h } => {
                if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, *w, *h) {
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(gray(235)));
                        surface.draw_path(&path);
                    }
                }
            }
            Item::Circle { cx, cy, r } => {
                if let Some(path) = circle(*cx, *cy, *r) {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(130, 130, 130).into(),
                        width: 0.8,
                        opacity: NormalizedF32::ONE,
                        dash: Some(StrokeDash {
                            array: vec![4.0, 3.0],
                            offset: 0.0,
                        }),
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                }
            }
        }
    }
    missing
}

/// A circle as four Bézier quarters.
fn circle(cx: f32, cy: f32, r: f32) -> Option<krilla::geom::Path> {
    const K: f32 = 0.552_284_8;
    let k = K * r;
    let mut path = PathBuilder::new();
    path.move_to(cx + r, cy);
    path.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    path.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    path.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    path.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    path.close();
    path.finish()
}
