//! Open vocabularies: closed sets of names as types that stay open on disk (a name this version
//! does not know is kept as `Other` and written back unchanged), and the ones every layer shares
//! (CR stage and speaker names: protocol files, the stage machine and the stored events use
//! them alike). Pure data, below every other module.

/// Defines an enum over a vocabulary of snake_case names that stays open: a name this version
/// does not know becomes `Other(name)` and serializes back unchanged.
macro_rules! open_vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A name this version of socius does not know, kept as written.
            Other(String),
        }

        impl $name {
            /// Every name this version knows, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($text),*];

            /// The name as written in the store.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// The value for a name; unknown names become `Other`.
            #[must_use]
            pub fn from_name(name: &str) -> Self {
                match name {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// Whether this version knows the name.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(name: &str) -> Self {
                Self::from_name(name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                Ok(Self::from_name(&name))
            }
        }
    };
}

pub(crate) use open_vocabulary;

open_vocabulary! {
    /// Who speaks a CR turn.
    pub enum CrSpeaker {
        Therapist => "therapist",
        Client => "client",
    }
}

open_vocabulary! {
    /// The CR stage a turn belongs to (see `CRDIAL.md`): the identification stages, then per
    /// channel the restructuring stages.
    pub enum CrStage {
        AutomaticThoughts => "automatic_thoughts",
        IntermediateBeliefs => "intermediate_beliefs",
        CoreBeliefs => "core_beliefs",
        Defense => "defense",
        Prosecution => "prosecution",
        Verdict => "verdict",
    }
}
