//! The storage conformance suite, run against both backends.

mod common;

use loket_server::storage::conformance;

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
        #[test]
        fn every_check_is_run_on_both_backends() {
            let mut listed = vec![$(stringify!($name)),*];
            let mut all = conformance::CHECKS.to_vec();
            listed.sort();
            all.sort();
            assert_eq!(listed, all);
        }
    };
}

conformance!(
    enrollment,
    idempotent_push,
    pull_paging,
    duplicate_aid,
    transitions_and_roles,
    edit_conflicts,
    users_sync_to_their_office,
    one_number_per_draft,
    keys_and_links,
    durability,
    concurrent_pushes,
    attachment_upload,
);
