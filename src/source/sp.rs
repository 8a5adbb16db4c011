//! A spanned value from the spec file, so that every later check can point at the line it came from.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use marked_yaml::{Span, Spanned};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

/// A value plus the place in the spec file where it was written.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Sp<T>(Spanned<T>);

impl<T> Sp<T> {
    /// Wraps a value that was not read from a file (defaults, tests).
    pub fn synthetic(value: T) -> Self {
        Sp(Spanned::new(Span::new_blank(), value))
    }

    pub fn with_span(span: Span, value: T) -> Self {
        Sp(Spanned::new(span, value))
    }

    pub fn span(&self) -> Span {
        *self.0.span()
    }

    pub fn get(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
