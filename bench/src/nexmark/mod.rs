//! Native Nexmark: the event model, the deterministic generator of
//! `shared/nexmark/gen.py`, and the CSV codec of `shared/nexmark/FORMAT.md`.
//!
//! - [`model`]: [`Person`], [`Auction`], [`Bid`], [`Event`] (rkyv-archivable).
//! - [`generator`]: [`event`] for one id, [`Generator`] for a (strided) run of ids.
//! - [`csv`]: [`write_event_csv`], [`parse_event`], [`parse_bid_borrowed`].
//! - [`source`]: the generator as a Weir source; CSV line parsers for the file source.
//! - `swar`: reading CSV fields a machine word at a time, for the parsers' fast paths.
//! - [`queries`]: q0, q1, q2 on a stream of bids, typed rows and their CSV form.
//! - [`joins`]: q3 and q4 on a stream of events.
//! - [`local`]: local pre-aggregation before an exchange, flushed on the watermark.
//! - [`local_count`]: q5's per-subtask counts per slice.
//! - [`local_top`]: q7's per-subtask pre-selection of candidate bids.
//! - [`local_sessions`]: q11's per-subtask partial sessions.
//! - [`windowed`]: q5, q7, q8 and q11 on a stream of events in event time.
//! - [`run`]: running a query over a CSV file, and the generator benchmark.
//! - [`reference`](mod@reference): q0–q5, q7, q8, q11 computed plainly, to test the queries.

pub mod csv;
pub mod generator;
pub mod joins;
pub mod local;
pub mod local_count;
pub mod local_sessions;
pub mod local_top;
pub mod model;
pub mod queries;
pub mod reference;
pub mod run;
pub mod source;
mod split;
mod swar;
pub mod windowed;

pub use csv::{
    parse_bid_borrowed, parse_event, parse_kind, write_event_csv, BidRef, CsvError, CsvErrorReason,
    IntErrorKind,
};
pub use generator::{event, Events, Generator, GeneratorConfig, GeneratorError};
pub use model::{ArchivedEvent, Auction, Bid, Event, EventKind, EventKinds, Person};

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod test_support;
