//! The document as A4 PDF pages: DejaVu Sans embedded (a Latin cut, `shared/fonts`), so it
//! prints the same everywhere and its glyph widths are known: item names wrap at word
//! boundaries inside their column, amounts are right-aligned on their column's edge, and every
//! page repeats the document's title and, while the lines run on, the table's header.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::InvoiceDocument;

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans-Latin.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold-Latin.ttf");

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = WIDTH - 50.0;
const TOP: f32 = HEIGHT - 50.0;
const BOTTOM: f32 = 50.0;
const SIZE: f32 = 9.0;
const LEADING: f32 = 1.35;

/// The lines table: each column's left edge, right edge and alignment.
const COLUMNS: [(f32, f32, Align); 6] = [
    (LEFT, 262.0, Align::Left),
    (266.0, 292.0, Align::Right),
    (296.0, 370.0, Align::Right),
    (374.0, 446.0, Align::Right),
    (450.0, 478.0, Align::Right),
    (482.0, RIGHT, Align::Right),
];

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

pub fn render(doc: &InvoiceDocument) -> Vec<u8> {
    let w = doc.words;
    let mut page = Pages::new(doc.heading(), w.page);
    if doc.test {
        page.paragraph(w.test_mode, SIZE, true);
    }
    page.paragraph(&doc.heading(), 16.0, true);
    for (label, value) in &doc.facts {
        page.paragraph(&format!("{label}{}{value}", w.colon), SIZE, false);
    }
    page.gap(8.0);
    let mut parties = vec![(w.seller, &doc.seller), (w.customer, &doc.customer)];
    if let Some(invoicing) = &doc.invoicing {
        parties.push((w.invoiced_to, invoicing));
    }
    page.side_by_side(&parties);
    page.gap(8.0);
    let head = [
        w.item,
        w.quantity,
        w.unit_price,
        w.excl_tax,
        w.vat,
        w.incl_tax,
    ]
    .map(String::from);
    page.table_head = Some(head.clone());
    page.row(&head, true);
    for l in &doc.lines {
        let cells = [
            l.name.clone(),
            l.quantity.to_string(),
            l.unit_price.clone(),
            l.total_excl_tax.clone(),
            l.tax_rate.clone(),
            l.total_incl_tax.clone(),
        ];
        page.row(&cells, false);
    }
    page.table_head = None;
    page.gap(8.0);
    for t in &doc.taxes {
        page.total(
            &format!("{} ({} {})", t.rate, w.tax_base, t.base),
            &t.amount,
            false,
        );
    }
    page.total(w.total_excl_tax, &doc.total_excl_tax, false);
    page.total(w.total_tax, &doc.total_tax, false);
    page.total(w.total_incl_tax, &doc.total_incl_tax, true);
    page.gap(8.0);
    page.paragraph(&doc.settlement, SIZE, false);
    for mention in &doc.mentions {
        page.paragraph(mention, 8.0, false);
    }
    page.finish()
}

/// A font of the document: its glyphs' widths, and the characters each glyph shown stands
/// for (the PDF's text layer, so that copying and searching give the words back).
struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
    name: &'static str,
    used: BTreeMap<u16, char>,
}

impl Font {
    fn new(data: &'static [u8], name: &'static str) -> Self {
        Self {
            face: ttf_parser::Face::parse(data, 0).expect("the embedded font parses"),
            data,
            name,
            used: BTreeMap::new(),
        }
    }

    fn glyph(&self, c: char) -> u16 {
        let c = if c == '\u{202f}' { '\u{a0}' } else { c };
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    /// A glyph's advance in thousandths of the font size (PDF's glyph space).
    fn advance(&self, glyph: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(glyph))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / f32::from(self.face.units_per_em())
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// The text as two-byte glyph ids (Identity-H), remembering what each glyph says.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let glyph = self.glyph(c);
            self.used.entry(glyph).or_insert(c);
            out.extend(glyph.to_be_bytes());
        }
        out
    }

    /// Splits `text` into lines no wider than `width`, at spaces; a word wider than a line
    /// (a long code) is cut where it must.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let tried = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&tried, size) <= width {
                line = tried;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                if !line.is_empty() && self.width(&format!("{line}{c}"), size) > width {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn write(&self, pdf: &mut Pdf, ids: [Ref; 5]) {
        let [type0, cid, descriptor, file, cmap] = ids;
        let name = Name(self.name.as_bytes());
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut font = pdf.cid_font(cid);
        font.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = font.widths();
        for &glyph in self.used.keys() {
            widths.consecutive(glyph, [self.advance(glyph)]);
        }
        widths.finish();
        font.finish();
        let scale = 1000.0 / f32::from(self.face.units_per_em());
        let b = self.face.global_bounding_box();
        let s = |v: i16| f32::from(v) * scale;
        pdf.font_descriptor(descriptor)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(s(b.x_min), s(b.y_min), s(b.x_max), s(b.y_max)))
            .italic_angle(0.0)
            .ascent(s(self.face.ascender()))
            .descent(s(self.face.descender()))
            .cap_height(s(self
                .face
                .capital_height()
                .unwrap_or(self.face.ascender())))
            .stem_v(80.0)
            .font_file2(file);
        let data_len = i32::try_from(self.data.len()).expect("a small font");
        pdf.stream(file, self.data).pair(Name(b"Length1"), data_len);
        let mut unicode = UnicodeCmap::new(Name(b"Custom"), system);
        for (&glyph, &c) in &self.used {
            unicode.pair(glyph, c);
        }
        pdf.cmap(cmap, &unicode.finish());
    }
}

/// A top-to-bottom layout over A4 pages.
struct Pages {
    title: String,
    /// "Page", before each page's number.
    page_word: &'static str,
    done: Vec<Vec<u8>>,
    content: Content,
    /// The baseline of the last line drawn.
    y: f32,
    regular: Font,
    bold: Font,
    /// While the lines table runs, its header, repeated at the top of each new page.
    table_head: Option<[String; 6]>,
}

impl Pages {
    fn new(title: String, page_word: &'static str) -> Self {
        let mut pages = Self {
            title,
            page_word,
            done: Vec::new(),
            content: Content::new(),
            y: TOP,
            regular: Font::new(REGULAR, "DejaVuSans"),
            bold: Font::new(BOLD, "DejaVuSans-Bold"),
            table_head: None,
        };
        pages.page_header();
        pages
    }

    fn font(&mut self, bold: bool) -> &mut Font {
        if bold {
            &mut self.bold
        } else {
            &mut self.regular
        }
    }

    /// The document's title and page number at the top of every page.
    fn page_header(&mut self) {
        let number = format!("{} {}", self.page_word, self.done.len() + 1);
        let top = HEIGHT - 30.0;
        self.at(LEFT, top, 8.0, false, &self.title.clone());
        let width = self.regular.width(&number, 8.0);
        self.at(RIGHT - width, top, 8.0, false, &number);
        self.y = TOP;
    }

    fn at(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let encoded = self.font(bold).encode(text);
        let name = if bold { Name(b"F2") } else { Name(b"F1") };
        self.content.begin_text();
        self.content.set_font(name, size);
        self.content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
        self.content.show(Str(&encoded));
        self.content.end_text();
    }

    /// Moves down by `height`, onto a new page when it does not fit (where a running table
    /// gets its header again).
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            let full = std::mem::replace(&mut self.content, Content::new());
            self.done.push(full.finish().into_vec());
            self.page_header();
            if let Some(head) = self.table_head.clone() {
                self.y -= 4.0;
                self.draw_row(&head, true);
            }
        }
        self.y -= height;
    }

    fn gap(&mut self, height: f32) {
        self.room(height);
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        for line in self.font(bold).wrap(text, size, RIGHT - LEFT) {
            self.room(size * LEADING);
            self.at(LEFT, self.y, size, bold, &line);
        }
    }

    /// Titled blocks of lines in columns (seller, customer, invoicing identity).
    fn side_by_side(&mut self, blocks: &[(&str, &Vec<String>)]) {
        let width = (RIGHT - LEFT) / blocks.len() as f32;
        let wrapped: Vec<Vec<String>> = blocks
            .iter()
            .map(|(_, lines)| {
                lines
                    .iter()
                    .flat_map(|l| self.regular.wrap(l, SIZE, width - 10.0))
                    .collect()
            })
            .collect();
        let tallest = wrapped.iter().map(Vec::len).max().unwrap_or(0) + 1;
        self.room(tallest as f32 * SIZE * LEADING);
        let top = self.y + (tallest as f32 - 1.0) * SIZE * LEADING;
        for (i, ((title, _), lines)) in blocks.iter().zip(&wrapped).enumerate() {
            let x = LEFT + i as f32 * width;
            self.at(x, top, SIZE + 1.0, true, title);
            for (j, line) in lines.iter().enumerate() {
                self.at(
                    x,
                    top - (j as f32 + 1.0) * SIZE * LEADING,
                    SIZE,
                    false,
                    line,
                );
            }
        }
    }

    /// One row of the lines table, each cell wrapped in its column; kept whole on a page.
    fn row(&mut self, cells: &[String; 6], bold: bool) {
        let height = self.row_height(cells, bold);
        if self.y - height < BOTTOM {
            self.room(height);
            self.y += height;
        }
        self.draw_row(cells, bold);
    }

    fn row_height(&self, cells: &[String; 6], bold: bool) -> f32 {
        let font = if bold { &self.bold } else { &self.regular };
        let lines = COLUMNS
            .iter()
            .zip(cells)
            .map(|((left, right, _), text)| font.wrap(text, SIZE, right - left).len())
            .max()
            .unwrap_or(1);
        lines as f32 * SIZE * LEADING + 3.0
    }

    fn draw_row(&mut self, cells: &[String; 6], bold: bool) {
        let top = self.y;
        let mut lowest = top;
        for ((left, right, align), text) in COLUMNS.iter().zip(cells) {
            let lines = self.font(bold).wrap(text, SIZE, right - left);
            for (i, line) in lines.iter().enumerate() {
                let y = top - (i as f32 + 1.0) * SIZE * LEADING;
                let x = match align {
                    Align::Left => *left,
                    Align::Right => right - self.font(bold).width(line, SIZE),
                };
                self.at(x, y, SIZE, bold, line);
                lowest = lowest.min(y);
            }
        }
        self.y = lowest - 3.0;
        self.content.set_line_width(0.3);
        self.content.move_to(LEFT, self.y + 1.0);
        self.content.line_to(RIGHT, self.y + 1.0);
        self.content.stroke();
    }

    /// A totals line: its label, and its amount on the right edge.
    fn total(&mut self, label: &str, amount: &str, bold: bool) {
        self.room(SIZE * LEADING + 2.0);
        let (label_x, y) = (COLUMNS[2].0, self.y);
        self.at(label_x, y, SIZE, bold, label);
        let width = self.font(bold).width(amount, SIZE);
        self.at(RIGHT - width, y, SIZE, bold, amount);
    }

    fn finish(mut self) -> Vec<u8> {
        self.done.push(self.content.finish().into_vec());
        let mut pdf = Pdf::new();
        let (catalog, tree, info) = (Ref::new(1), Ref::new(2), Ref::new(3));
        let regular = [4, 5, 6, 7, 8].map(Ref::new);
        let bold = [9, 10, 11, 12, 13].map(Ref::new);
        let page_ids: Vec<Ref> = (0..self.done.len())
            .map(|i| Ref::new(20 + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        for (i, stream) in self.done.iter().enumerate() {
            let (page_id, content_id) = (page_ids[i], Ref::new(21 + 2 * i as i32));
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(Name(b"F1"), regular[0])
                .pair(Name(b"F2"), bold[0]);
            page.finish();
            pdf.stream(content_id, stream);
        }
        self.regular.write(&mut pdf, regular);
        self.bold.write(&mut pdf, bold);
        pdf.document_info(info)
            .title(pdf_writer::TextStr(&self.title))
            .producer(pdf_writer::TextStr("enrolshop"));
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_between_words_and_amounts_measure_as_the_font_draws_them() {
        let font = Font::new(REGULAR, "DejaVuSans");
        let lines = font.wrap(
            "Excel essentials for your team (one learner per unit)",
            SIZE,
            120.0,
        );
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "Excel essentials for your team (one learner per unit)"
        );
        assert!(lines.iter().all(|l| font.width(l, SIZE) <= 120.0));
        assert!(font.width("€1,000.00", SIZE) > font.width("€1.00", SIZE));
        assert_eq!(font.wrap("", SIZE, 50.0), [""]);
        let cut = font.wrap("ABCDEFGHIJKLMNOPQRSTUVWXYZ", SIZE, 40.0);
        assert!(cut.len() > 1 && cut.concat() == "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    }
}
