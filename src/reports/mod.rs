//! The county's briefing as text and documents (issue 22): pure, no I/O. The figures come
//! from [`crate::register::Register::briefing`]; this module words them (a minijinja
//! template following the shape of the county's own report, section 一、疫情总体情况) and lays
//! them out as a Word document and a sheet of figures by township.

pub mod docx;
pub mod text;
pub mod xlsx;
