//! The letter laid out on pages, before any PDF is written: the letter itself on A4 portrait
//! pages in the manner of an official letter (GB/T 9704: 28 characters of 16 pt a line,
//! letterhead, number, rule, centred title, signature and date under a seal placeholder), then
//! the list on A4 landscape pages as a table whose header row repeats on every page. Every
//! page carries its number.

use super::blocks::{BlockKind, Wording};
use super::font::Face;

/// A4 in points.
const A4_SHORT: f32 = 595.28;
const A4_LONG: f32 = 841.89;

/// The letter pages: a 448 pt (28 × 16 pt) text column, centred.
const BODY: f32 = 16.0;
const LEADING: f32 = 28.9;
const LETTER_LEFT: f32 = (A4_SHORT - 28.0 * BODY) / 2.0;
const LETTER_TOP: f32 = 90.0;
const LETTER_BOTTOM: f32 = A4_LONG - 90.0;

/// The list pages.
const LIST_MARGIN: f32 = 42.5;
const LIST_TOP: f32 = 48.0;
const LIST_BOTTOM: f32 = A4_SHORT - 52.0;
const CELL: f32 = 10.0;
const CELL_LEADING: f32 = 14.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.5;
/// The columns' widths in points; the last takes what is left.
const COLUMN_WIDTHS: [f32; 8] = [30.0, 56.0, 30.0, 108.0, 80.0, 150.0, 66.0, 74.0];
/// The columns centred in their cells: 序号, 性别.
const CENTRED: [usize; 2] = [0, 2];

/// The radius of the seal placeholder (a seal is about 42 mm across).
const SEAL_RADIUS: f32 = 52.0;

/// Something drawn on a page; coordinates in points from the page's top left.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// One line of text, from `x` on `baseline`.
    Text {
        /// Where the line starts.
        x: f32,
        /// The line's baseline.
        baseline: f32,
        /// The font size in points.
        size: f32,
        /// The line, one line of text.
        text: String,
        /// Set in gray rather than black (the seal placeholder's label).
        gray: bool,
    },
    /// A straight line.
    Line {
        /// One end.
        from: (f32, f32),
        /// The other end.
        to: (f32, f32),
        /// The stroke's width in points.
        width: f32,
    },
    /// A light gray filled rectangle (the table's header row).
    Shade { x: f32, y: f32, w: f32, h: f32 },
    /// A dashed gray circle (the seal placeholder).
    Circle { cx: f32, cy: f32, r: f32 },
}

/// One page and what is drawn on it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Page {
    /// The page's width in points (A4 portrait for the letter, landscape for the list).
    pub width: f32,
    /// The page's height in points.
    pub height: f32,
    /// What is drawn, in drawing order.
    pub items: Vec<Item>,
}

/// Pages being filled from top to bottom.
struct Flow<'f> {
    face: &'f Face,
    pages: Vec<Page>,
    y: f32,
}

impl Flow<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.portrait();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn portrait(&mut self) {
        self.new_page(A4_SHORT, A4_LONG, LETTER_TOP);
    }

    fn landscape(&mut self) {
        self.new_page(A4_LONG, A4_SHORT, LIST_TOP);
    }

    fn new_page(&mut self, width: f32, height: f32, top: f32) {
        self.pages.push(Page {
            width,
            height,
            items: Vec::new(),
        });
        self.y = top;
    }

    /// Makes room for `height` more points on the letter pages.
    fn room(&mut self, height: f32) {
        if self.pages.is_empty() || self.y + height > LETTER_BOTTOM {
            self.portrait();
        }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, leading: f32, text: String, gray: bool) {
        // The font's ascender is 0.88 em: the glyphs sit centred in the line's height.
        let baseline = top + (leading - size) / 2.0 + 0.88 * size;
        self.page().items.push(Item::Text {
            x,
            baseline,
            size,
            text,
            gray,
        });
    }

    /// A block of the letter: wrapped to the text column, aligned as `align` says.
    fn paragraph(&mut self, text: &str, size: f32, indent: f32, align: Align) {
        let width = 28.0 * BODY;
        let leading = LEADING * size / BODY;
        for (i, line) in (0..).zip(self.face.wrap(text, size, width, indent)) {
            self.room(leading);
            let line_width = self.face.width(&line, size);
            let x = match align {
                Align::Left if i == 0 => LETTER_LEFT + indent,
                Align::Left => LETTER_LEFT,
                Align::Centre => LETTER_LEFT + (width - line_width).max(0.0) / 2.0,
                Align::Right => LETTER_LEFT + (width - line_width).max(0.0),
            };
            let y = self.y;
            self.text(x, y, size, leading, line, false);
            self.y += leading;
        }
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
    Right,
}

/// The pages of a letter with `wording`, its list under `columns` with `rows`.
pub(super) fn lay_out(
    face: &Face,
    wording: &Wording,
    columns: &[&str],
    rows: &[Vec<String>],
) -> Vec<Page> {
    let mut flow = Flow {
        face,
        pages: Vec::new(),
        y: LETTER_TOP,
    };
    letter(&mut flow, wording);
    list(&mut flow, wording, columns, rows);
    number_pages(face, &mut flow.pages);
    flow.pages
}

fn letter(flow: &mut Flow, wording: &Wording) {
    for block in &wording.blocks {
        match block.kind {
            BlockKind::Head => {
                flow.paragraph(&block.text, 22.0, 0.0, Align::Centre);
                flow.y += 6.0;
            }
            BlockKind::Number => {
                flow.paragraph(&block.text, BODY, 0.0, Align::Right);
                let (left, right, y) = (LETTER_LEFT, LETTER_LEFT + 28.0 * BODY, flow.y + 4.0);
                flow.page().items.push(Item::Line {
                    from: (left, y),
                    to: (right, y),
                    width: 1.5,
                });
                flow.y += 30.0;
            }
            BlockKind::Title => {
                flow.paragraph(&block.text, 20.0, 0.0, Align::Centre);
                flow.y += LEADING * 0.6;
            }
            BlockKind::Salutation => flow.paragraph(&block.text, BODY, 0.0, Align::Left),
            BlockKind::Para => flow.paragraph(&block.text, BODY, 2.0 * BODY, Align::Left),
            BlockKind::Attachment => {
                flow.y += LEADING;
                flow.paragraph(&block.text, BODY, 2.0 * BODY, Align::Left);
            }
            // The closing is set as one piece below; the list's heading on the list's pages.
            BlockKind::Signature
            | BlockKind::Date
            | BlockKind::Seal
            | BlockKind::ListLabel
            | BlockKind::ListTitle => {}
        }
    }
    closing(flow, wording);
}

/// The signature and the date, the date four characters from the right edge and the signature
/// centred over it, under a dashed circle where the seal goes.
fn closing(flow: &mut Flow, wording: &Wording) {
    let face = flow.face;
    let signature = wording.first(BlockKind::Signature);
    let date = wording.first(BlockKind::Date);
    let right = LETTER_LEFT + 28.0 * BODY;
    flow.room(2.0 * LEADING + 2.0 * SEAL_RADIUS);
    flow.y += 2.0 * LEADING;
    let date_width = face.width(date, BODY);
    let signature_width = face.width(signature, BODY);
    let mut centre = right - 4.0 * BODY - date_width / 2.0;
    centre = centre.min(right - signature_width / 2.0);
    let top = flow.y;
    flow.text(
        centre - signature_width / 2.0,
        top,
        BODY,
        LEADING,
        signature.to_owned(),
        false,
    );
    flow.text(
        centre - date_width / 2.0,
        top + LEADING,
        BODY,
        LEADING,
        date.to_owned(),
        false,
    );
    let cy = top + LEADING;
    flow.page().items.push(Item::Circle {
        cx: centre,
        cy,
        r: SEAL_RADIUS,
    });
    let seal = wording.first(BlockKind::Seal);
    let seal_width = face.width(seal, 9.0);
    flow.text(
        centre - seal_width / 2.0,
        cy - SEAL_RADIUS + 10.0,
        9.0,
        12.0,
        seal.to_owned(),
        true,
    );
    flow.y = top + 2.0 * LEADING + SEAL_RADIUS;
}

/// The list on landscape pages: the attachment's label and title, then the table; a row that
/// does not fit goes to the next page under a repeated header (a row taller than a whole page
/// is split between pages).
fn list(flow: &mut Flow, wording: &Wording, columns: &[&str], rows: &[Vec<String>]) {
    let face = flow.face;
    let width = A4_LONG - 2.0 * LIST_MARGIN;
    let mut widths = COLUMN_WIDTHS.to_vec();
    widths.truncate(columns.len().saturating_sub(1));
    let rest = width - widths.iter().sum::<f32>();
    widths.push(rest.max(40.0));
    let wrap = |cells: &[String]| -> Vec<Vec<String>> {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| face.wrap(cell, CELL, w - 2.0 * CELL_PAD_X, 0.0))
            .collect()
    };
    let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let header_lines = wrap(&header);

    flow.landscape();
    let label = wording.first(BlockKind::ListLabel).to_owned();
    let y = flow.y;
    flow.text(LIST_MARGIN, y, 14.0, 22.0, label, false);
    flow.y += 22.0;
    let title = wording.first(BlockKind::ListTitle).to_owned();
    let title_width = face.width(&title, 16.0);
    let y = flow.y;
    flow.text(
        LIST_MARGIN + (width - title_width).max(0.0) / 2.0,
        y,
        16.0,
        26.0,
        title,
        false,
    );
    flow.y += 32.0;
    table_row(flow, &widths, &header_lines, true);

    for row in rows {
        let mut lines = wrap(row);
        let mut fresh = false;
        loop {
            let tallest = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let here = ((LIST_BOTTOM - flow.y - 2.0 * CELL_PAD_Y) / CELL_LEADING).floor();
            let here = if here > 0.0 { here as usize } else { 0 };
            if here < tallest && !fresh {
                // Not here: on a fresh page (split there only if taller than a page).
                flow.landscape();
                table_row(flow, &widths, &header_lines, true);
                fresh = true;
                continue;
            }
            let take = tallest.min(here.max(1));
            let now: Vec<Vec<String>> = lines
                .iter_mut()
                .map(|cell| cell.drain(..take.min(cell.len())).collect())
                .collect();
            table_row(flow, &widths, &now, false);
            if lines.iter().all(Vec::is_empty) {
                break;
            }
            fresh = false;
        }
    }
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let tallest = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    tallest as f32 * CELL_LEADING + 2.0 * CELL_PAD_Y
}

/// One row of the table at the flow's height, ruled on all sides.
fn table_row(flow: &mut Flow, widths: &[f32], cells: &[Vec<String>], header: bool) {
    let face = flow.face;
    let top = flow.y;
    let height = row_height(cells);
    let width: f32 = widths.iter().sum();
    if header {
        flow.page().items.push(Item::Shade {
            x: LIST_MARGIN,
            y: top,
            w: width,
            h: height,
        });
    }
    let mut x = LIST_MARGIN;
    for (column, (lines, w)) in cells.iter().zip(widths).enumerate() {
        for (i, line) in (0..).zip(lines) {
            let offset = if header || CENTRED.contains(&column) {
                (w - 2.0 * CELL_PAD_X - face.width(line, CELL)).max(0.0) / 2.0
            } else {
                0.0
            };
            let y = top + CELL_PAD_Y + i as f32 * CELL_LEADING;
            flow.text(
                x + CELL_PAD_X + offset,
                y,
                CELL,
                CELL_LEADING,
                line.clone(),
                false,
            );
        }
        x += w;
    }
    let items = &mut flow.page().items;
    let bottom = top + height;
    for y in [top, bottom] {
        items.push(Item::Line {
            from: (LIST_MARGIN, y),
            to: (LIST_MARGIN + width, y),
            width: 0.75,
        });
    }
    let mut x = LIST_MARGIN;
    items.push(Item::Line {
        from: (x, top),
        to: (x, bottom),
        width: 0.75,
    });
    for w in widths {
        x += w;
        items.push(Item::Line {
            from: (x, top),
            to: (x, bottom),
            width: 0.75,
        });
    }
    flow.y = bottom;
}

/// `— n —` centred under every page's text.
fn number_pages(face: &Face, pages: &mut [Page]) {
    for (n, page) in (1..).zip(pages.iter_mut()) {
        let text = format!("— {n} —");
        let size = 12.0;
        let x = (page.width - face.width(&text, size)) / 2.0;
        page.items.push(Item::Text {
            x,
            baseline: page.height - 30.0,
            size,
            text,
            gray: false,
        });
    }
}
