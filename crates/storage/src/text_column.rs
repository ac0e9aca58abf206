//! Enums stored as their names in a `text` column (checked there by a CHECK constraint), read
//! and written through sqlx as the enum itself: a stored name the code does not know is a
//! decode error, never a silently wrong state.

/// Implements sqlx's `Type`, `Encode` and `Decode` for Postgres on `$enum`, through its
/// `as_str(self) -> &'static str` and `parse(&str) -> Option<Self>`.
#[macro_export]
macro_rules! text_column {
    ($enum:ty) => {
        impl ::sqlx::Type<::sqlx::Postgres> for $enum {
            fn type_info() -> ::sqlx::postgres::PgTypeInfo {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &::sqlx::postgres::PgTypeInfo) -> bool {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::compatible(ty)
            }
        }

        impl ::sqlx::Encode<'_, ::sqlx::Postgres> for $enum {
            fn encode_by_ref(
                &self,
                buf: &mut ::sqlx::postgres::PgArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<::sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for $enum {
            fn decode(
                value: ::sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let raw = <&str as ::sqlx::Decode<::sqlx::Postgres>>::decode(value)?;
                Self::parse(raw)
                    .ok_or_else(|| format!("{raw:?} is not a {}", stringify!($enum)).into())
            }
        }
    };
}
