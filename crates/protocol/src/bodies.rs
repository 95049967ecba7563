//! [`typed_bodies!`]: an enum of typed bodies, one variant per kind, with `kind`, `decode` and
//! `encode` written once for operations and changes alike.

/// `pub enum Body by Kind { Variant(Type) = KindVariant, … }`: the enum (serialised as its
/// body alone), `kind()`, `decode(kind, text)` and `encode()`.
#[macro_export]
#[doc(hidden)]
macro_rules! typed_bodies {
    ($(#[$meta:meta])* pub enum $name:ident by $kind:ident { $($variant:ident($ty:ty) = $k:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum $name {
            $(#[doc = concat!("`", stringify!($k), "`")] $variant($ty),)+
        }

        impl $name {
            pub fn kind(&self) -> $kind {
                match self {
                    $(Self::$variant(_) => $kind::$k,)+
                }
            }

            /// Decode the JSON text of a body of `kind`.
            pub fn decode(kind: $kind, text: &str) -> Result<Self, serde_json::Error> {
                Ok(match kind {
                    $($kind::$k => Self::$variant(serde_json::from_str(text)?),)+
                })
            }

            /// The body as JSON text.
            pub fn encode(&self) -> String {
                serde_json::to_string(self).expect("plain data always encodes")
            }
        }
    };
}
