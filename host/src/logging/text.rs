//! The text format: tracing's own, with a plugin's fields written as `key=value` pairs of
//! their own rather than one quoted string.

use super::plugin_fields::{self, FIELD};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};

pub(super) struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut carried = None;
        let mut visitor = SetAside {
            inner: DefaultVisitor::new(writer.by_ref(), true),
            carried: &mut carried,
        };
        fields.record(&mut visitor);
        visitor.inner.finish()?;
        let pairs = carried
            .map(|c| plugin_fields::as_text(&c))
            .unwrap_or_default();
        if !pairs.is_empty() {
            write!(writer, " {pairs}")?;
        }
        Ok(())
    }
}

/// Formats every field as tracing does, except [`FIELD`], kept for writing last.
struct SetAside<'a> {
    inner: DefaultVisitor<'a>,
    carried: &'a mut Option<String>,
}

impl Visit for SetAside<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == FIELD {
            *self.carried = Some(value.to_string());
        } else {
            self.inner.record_str(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.inner.record_error(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == FIELD {
            *self.carried = Some(format!("{value:?}"));
        } else {
            self.inner.record_debug(field, value);
        }
    }
}
