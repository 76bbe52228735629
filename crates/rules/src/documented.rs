//! The `documented!` macro: a rule's doc comment is both its rustdoc and its `apptrust explain`
//! text, so the two cannot drift.

/// Declares a unit struct whose doc comment is also available as `Self::DOC`.
macro_rules! documented {
    ($(#[doc = $doc:literal])* pub struct $name:ident;) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            /// This rule's documentation, as written above its declaration.
            pub const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
}

pub(crate) use documented;
