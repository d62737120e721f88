//! Stored enums as database values: each [`Stored`](crate::states::Stored) enum is written as its name and read
//! back through `Stored::from_stored`; a name no variant has is an error naming the value,
//! never a default.

/// Implements sea-orm's value traits for stored enums (what `DeriveValueType` with
/// `value_type = "String"` generates, for enums defined outside `db/`, where sea-orm is not
/// used).
macro_rules! stored_as_text {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$t> for sea_orm::Value {
            fn from(v: $t) -> Self {
                sea_orm::Value::String(Some($crate::states::Stored::as_str(v).to_owned()))
            }
        }

        impl sea_orm::TryGetable for $t {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                idx: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, idx)?;
                <$t as $crate::states::Stored>::from_stored(&text).ok_or_else(|| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "`{text}` is not a stored {}",
                        stringify!($t)
                    )))
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $t {
            fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let text = <String as sea_orm::sea_query::ValueType>::try_from(v)?;
                <$t as $crate::states::Stored>::from_stored(&text).ok_or(sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($t).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::None)
            }
        }

        impl sea_orm::sea_query::Nullable for $t {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl sea_orm::IntoActiveValue<$t> for $t {
            fn into_active_value(self) -> sea_orm::ActiveValue<$t> {
                sea_orm::ActiveValue::Set(self)
            }
        }
    )+};
}

pub(crate) use stored_as_text;

stored_as_text!(
    crate::states::LocationStatus,
    crate::states::HubeiLink,
    crate::states::ReviewState,
    crate::states::EventKind,
    crate::states::ObservationState,
    crate::states::Slot,
    crate::states::AlertKind,
    crate::states::AlertState,
    crate::states::TeamRole,
    crate::states::CaseStatus,
    crate::states::LetterKind,
    crate::states::LetterState,
    crate::states::LetterChannel,
    crate::states::ReplyOutcome,
    crate::states::LetterPersonStatus,
    crate::states::OutboxKind,
    crate::states::OutboxState,
    crate::intake::SourceKind,
    crate::normalize::Sex,
    crate::normalize::IdClass,
);
