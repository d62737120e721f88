//! Root mutations.

use async_graphql::{Context, Object, Result, Upload};
use std::io::Read;

use super::types::{BatchReport, Source};
use crate::error::AppError;
use crate::register::{ImportRequest, Register};

/// The root of every mutation.
pub struct Mutation;

fn read_upload(ctx: &Context<'_>, upload: &Upload) -> Result<(String, Vec<u8>), AppError> {
    let value = upload
        .value(ctx)
        .map_err(|e| AppError::BadInput(format!("上传文件无法读取：{e}")))?;
    let name = value.filename.clone();
    let mut bytes = Vec::new();
    value
        .into_read()
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((name, bytes))
}

/// The root of every mutation.
#[Object]
impl Mutation {
    /// Imports one file (multipart upload, GraphQL multipart request spec) of one source kind.
    /// The file's extension decides its format (`.csv`, `.xlsx`, `.json`, `.ndjson`); an
    /// optional `mapping` file (TOML `"column" = "field"`) names headers paicha does not know.
    async fn import_batch(
        &self,
        ctx: &Context<'_>,
        source: Source,
        file: Upload,
        mapping: Option<Upload>,
    ) -> Result<BatchReport> {
        let register = ctx.data::<Register>()?;
        let (file_name, bytes) = read_upload(ctx, &file)?;
        let mapping = match mapping {
            Some(m) => {
                let (_, bytes) = read_upload(ctx, &m)?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| AppError::BadInput("映射文件必须是 UTF-8 编码".into()))?,
                )
            }
            None => None,
        };
        let mut request = ImportRequest::new(source.into(), &file_name, &bytes, "graphql");
        request.mapping = mapping.as_deref();
        Ok(register.import(request).await?.into())
    }
}
