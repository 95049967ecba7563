//! The storage conformance suite, run against both backends.

mod common;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (s, _guard) = super::common::sqlite();
                    loket_server::storage::conformance::run(stringify!($name), s.as_ref()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let (s, _guard) = super::common::postgres().await;
                    loket_server::storage::conformance::run(stringify!($name), s.as_ref()).await;
                }
            )*
        }
    };
}

// Every check of the suite, by the suite's own list.
loket_server::with_conformance_checks!(conformance);
