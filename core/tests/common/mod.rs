//! What the end-to-end tests share: an environment with a number of slots and a buffer
//! timeout.

use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::{Configuration, Origin, RawValue};

/// An environment of `slots` slots flushing after `buffer_timeout` (e.g. "0", "1 ms").
pub fn env_with(slots: i64, buffer_timeout: &str) -> StreamExecutionEnvironment {
    let mut config = Configuration::default();
    config
        .set(
            "taskmanager.numberOfTaskSlots",
            RawValue::Int(slots),
            Origin::Api,
        )
        .unwrap();
    config
        .set(
            "execution.buffer-timeout",
            RawValue::Str(buffer_timeout.into()),
            Origin::Api,
        )
        .unwrap();
    StreamExecutionEnvironment::new(config)
}
