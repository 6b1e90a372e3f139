//! The JSON format: tracing's own, with a plugin's fields as an object rather than a string.

use super::plugin_fields::{self, FIELD};
use std::fmt;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub(super) struct JsonWithPluginFields(pub Format<Json>);

impl<S, N> FormatEvent<S, N> for JsonWithPluginFields
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().fields().field(FIELD).is_none() {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match plugin_fields::nest_in_json(&line) {
            Some(nested) => writer.write_str(&nested),
            None => writer.write_str(&line),
        }
    }
}
