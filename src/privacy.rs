//! Masking of personal data for callers who may not see it in full.

/// `420102199001011234` → `420102********1234`; shorter or odd values keep only their ends.
pub fn mask_id_number(id: &str) -> String {
    mask_middle(id, 6, 4)
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

/// A value made safe for a CSV file a spreadsheet will open (CSV injection, OWASP): a value
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so the
/// spreadsheet shows it as text instead of running it as a formula.
///
/// ```text
/// =HYPERLINK("http://x")  ->  '=HYPERLINK("http://x")
/// -5                      ->  '-5
/// 张三                    ->  张三
/// ```
pub fn escape_csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= chars.len() - keep_end {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks every run of 7 or more digits (ID numbers, phones, written any way) inside free text,
/// keeping the first 3 and last 4 of each run.
pub fn mask_digits_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let is_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
        if is_digit(chars[i]) {
            let start = i;
            while i < chars.len()
                && (is_digit(chars[i]) || (i > start && matches!(chars[i], 'X' | 'x' | '*')))
            {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if i - start >= 7 {
                out.push_str(&mask_middle(&run, 3, 4));
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_and_phones_keep_only_their_ends() {
        assert_eq!(mask_id_number("42010219900101123X"), "420102********123X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn values_a_spreadsheet_would_run_as_formulas_are_escaped() {
        for value in ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(escape_csv_cell(value), format!("'{value}"));
        }
        for value in ["张三", "13812345678", "", "a=b", " =1"] {
            assert_eq!(escape_csv_cell(value), value);
        }
    }

    #[test]
    fn digit_runs_in_free_text_are_masked() {
        assert_eq!(
            mask_digits_in_text("电话13912345678已联系，住3号楼"),
            "电话139****5678已联系，住3号楼"
        );
    }
}
