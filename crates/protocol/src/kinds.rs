//! The names that travel on the wire: operation kinds, change kinds and entities.
//!
//! Each is an enum whose wire name is written exactly once, in [`wire_names!`]; everything
//! else in the workspace names a kind by its variant, so a misspelt kind does not compile.

use std::fmt;

/// A string-named enum: the variant list with each wire name, `ALL`, `as_str`, `parse`,
/// `Display`, and serde as the wire name (an unknown name is an error naming the known ones).
macro_rules! wire_names {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = concat!("`", $wire, "`")] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name on the wire and in stored rows.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire,)+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&s, &[$($wire,)+])
                })
            }
        }
    };
}

wire_names! {
    /// What a device asks the server to do (`Operation::op`).
    pub enum OpKind {
        ApplicationRegister = "application.register", ApplicationTransition = "application.transition",
        ApplicationEdit = "application.edit", ApplicationResolve = "application.resolve",
        ApplicationDocument = "application.document", ApplicationAttach = "application.attach",
        StaffCreate = "staff.create", StaffUpdate = "staff.update",
        UserCreate = "user.create", UserDeactivate = "user.deactivate", HolidaySet = "holiday.set",
        AccessRecord = "access.record", CataloguePublish = "catalogue.publish",
    }
}

wire_names! {
    /// What a change of the server's feed carries (`ChangeRecord::kind`):
    /// - `application`: a registration, as the server accepted it;
    /// - `event`: a workflow step, with the server's status and version;
    /// - `state`: the server's state of an application after it refused or out-voted an
    ///   operation;
    /// - `edit`: applicant fields edited on a base version;
    /// - `resolved`: a supervisor settled conflicts;
    /// - `conflict`: an operation kept as a conflict for a person to settle;
    /// - `flag`: a duplicate-aid flag across kecamatan;
    /// - `user`: a user of the office (for offline login);
    /// - `record`: an operation relayed as it was accepted (documents, attachments, staff,
    ///   users, holidays);
    /// - `redacted`: an application's personal data was removed at the end of its retention
    ///   period; devices remove theirs;
    /// - `staff_conflict`: a staff record's update made on a version the server had moved past,
    ///   kept for a supervisor to settle, with the server's record.
    pub enum ChangeKind {
        Application = "application", Event = "event", State = "state", Edit = "edit", Resolved = "resolved",
        Conflict = "conflict", Flag = "flag", User = "user", Record = "record",
        Redacted = "redacted", StaffConflict = "staff_conflict",
    }
}

wire_names! {
    /// What an operation is about (`Operation::entity`).
    pub enum Entity {
        Application = "application", Staff = "staff", User = "user", Holiday = "holiday",
        Access = "access", Catalogue = "catalogue",
    }
}

impl OpKind {
    /// The entity every operation of this kind is about.
    pub const fn entity(self) -> Entity {
        match self {
            Self::ApplicationRegister
            | Self::ApplicationTransition
            | Self::ApplicationEdit
            | Self::ApplicationResolve
            | Self::ApplicationDocument
            | Self::ApplicationAttach => Entity::Application,
            Self::StaffCreate | Self::StaffUpdate => Entity::Staff,
            Self::UserCreate | Self::UserDeactivate => Entity::User,
            Self::HolidaySet => Entity::Holiday,
            Self::CataloguePublish => Entity::Catalogue,
            Self::AccessRecord => Entity::Access,
        }
    }
}

wire_names! {
    /// What somebody did with personal data (`access.record`): the record UU 27/2022 asks a
    /// controller to keep of its processing. `search_number` is a search whose query was a
    /// whole NIK or KK (the two look alike; the server matches either by the number).
    pub enum AccessAction {
        ViewApplication = "view_application", OpenAttachment = "open_attachment",
        SearchNumber = "search_number", Export = "export",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_is_unique() {
        fn check<T: Copy + Eq + fmt::Debug + serde::Serialize + serde::de::DeserializeOwned>(
            all: &[T],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::BTreeSet::new();
            for &k in all {
                assert!(seen.insert(name(k)), "{} twice", name(k));
                assert_eq!(parse(name(k)), Some(k));
                let json = serde_json::to_string(&k).unwrap();
                assert_eq!(json, format!("{:?}", name(k)));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), k);
            }
        }
        check(OpKind::ALL, OpKind::as_str, OpKind::parse);
        check(ChangeKind::ALL, ChangeKind::as_str, ChangeKind::parse);
        check(Entity::ALL, Entity::as_str, Entity::parse);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_known_ones() {
        let e = serde_json::from_str::<OpKind>(r#""application.teleport""#).unwrap_err().to_string();
        assert!(e.contains("application.teleport") && e.contains("application.register"), "{e}");
        assert_eq!(OpKind::parse("Application.Register"), None);
    }
}
