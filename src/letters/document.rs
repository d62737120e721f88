//! A letter as a document: everything its templates print, already read from the register
//! and unmasked (a letter exists to hand the personal data to the jurisdiction that must act
//! on it; who may download one is decided before a document is built).

use chrono::NaiveDate;

/// Which document a letter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 协查函: the county asks the addressee to put the listed persons under home medical
    /// observation and to report back.
    Request,
    /// 回函: the county's answer to a notice it received, person by person.
    Reply,
}

/// The file formats a letter is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// The formal letter with its list, as PDF (CJK font embedded, text extractable).
    Pdf,
    /// The formal letter with its list, as one HTML page.
    Html,
    /// The list only, as CSV (UTF-8 with a byte-order mark).
    Csv,
    /// The list only, as an Excel workbook.
    Xlsx,
}

impl DocumentFormat {
    /// Every format, in the order `Letter.documents` lists them.
    pub const ALL: [DocumentFormat; 4] = [Self::Pdf, Self::Html, Self::Csv, Self::Xlsx];

    /// The file name extension (`pdf`, `html`, `csv`, `xlsx`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Html => "html",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The format of a file name extension, if it is one of ours.
    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(extension))
    }

    /// The media type the file is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Html => "text/html; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One letter, ready for its templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterDocument {
    /// Request or reply.
    pub kind: DocumentKind,
    /// The letter's number (`青溪防指函〔2020〕7号`); `None` while it is a draft, which the
    /// document shows as a draft.
    pub number: Option<String>,
    /// The addressed jurisdiction's name as the division table gives it (`孝南区`, `武汉市`).
    pub addressee_jurisdiction: String,
    /// The addressee in full (`孝南区新冠肺炎疫情防控指挥部`).
    pub addressee: String,
    /// The sender in full, from the county file (`青溪县新冠肺炎疫情防控指挥部`).
    pub sender: String,
    /// The sender's contact person.
    pub contact: String,
    /// The contact's phone.
    pub contact_phone: String,
    /// The date the letter bears: its issue date, or the day it is rendered while a draft.
    pub date: NaiveDate,
    /// Requests: the date by which the county asks for feedback.
    pub reply_by: Option<NaiveDate>,
    /// Replies: the notice answered, as its sender numbered it.
    pub in_reply_to: Option<String>,
    /// The attached list, one row per person.
    pub persons: Vec<LetterPerson>,
}

/// One person of a letter's list, unmasked. Empty strings where the register does not know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterPerson {
    /// The person's id in the register.
    pub person_id: i64,
    /// 姓名.
    pub name: String,
    /// 性别 (`男`, `女`, or empty).
    pub sex: String,
    /// 身份证号.
    pub id_number: String,
    /// 联系电话.
    pub phone: String,
    /// 现住址: where the person is believed to be now.
    pub current_address: String,
    /// 抵达日期 (`2020-01-23`), or empty.
    pub arrival_date: String,
    /// 与湖北关联, in words (`武汉`, `湖北其他地区`, …).
    pub hubei_link: String,
    /// Requests: why the county believes the person is there (the deciding evidence, in
    /// words: `外地通报：…`, `镇办核查备注：本人在…`).
    pub reason: String,
    /// Replies: what the register knows of the person (`在我县，自2020-01-25起居家医学观察`,
    /// `经核查未找到`, …).
    pub finding: String,
}
