//! Nexmark events as rows: the schema of each kind (columns of FORMAT.md, `dateTime`
//! and `expires` as timestamps) and the conversion of an event of that kind.

use weir_bench::nexmark::{Event, EventKind};
use weir_core::row::{Field, FieldType, Row, Schema, SchemaError, Value};

use crate::job::spec::NexmarkKind;

/// The event kind of the generator and the file format.
pub fn event_kind(kind: NexmarkKind) -> EventKind {
    match kind {
        NexmarkKind::Bid => EventKind::Bid,
        NexmarkKind::Auction => EventKind::Auction,
        NexmarkKind::Person => EventKind::Person,
    }
}

/// The schema of `kind`'s rows.
pub fn schema(kind: NexmarkKind) -> Result<Schema, SchemaError> {
    use FieldType::{Long, String as Str, Timestamp};
    let cols: &[(&str, FieldType)] = match kind {
        NexmarkKind::Bid => &[
            ("auction", Long),
            ("bidder", Long),
            ("price", Long),
            ("channel", Str),
            ("url", Str),
            ("dateTime", Timestamp),
            ("extra", Str),
        ],
        NexmarkKind::Auction => &[
            ("id", Long),
            ("itemName", Str),
            ("description", Str),
            ("initialBid", Long),
            ("reserve", Long),
            ("dateTime", Timestamp),
            ("expires", Timestamp),
            ("seller", Long),
            ("category", Long),
            ("extra", Str),
        ],
        NexmarkKind::Person => &[
            ("id", Long),
            ("name", Str),
            ("emailAddress", Str),
            ("creditCard", Str),
            ("city", Str),
            ("state", Str),
            ("dateTime", Timestamp),
            ("extra", Str),
        ],
    };
    Schema::new(cols.iter().map(|(n, t)| Field::new(*n, *t)).collect())
}

/// The row of `event`, if it is of `kind`.
pub fn to_row(event: Event, kind: NexmarkKind) -> Option<Row> {
    use Value::{Long, Str, Timestamp};
    Some(match (event, kind) {
        (Event::Bid(b), NexmarkKind::Bid) => Row::new(vec![
            Long(b.auction),
            Long(b.bidder),
            Long(b.price),
            Str(b.channel),
            Str(b.url),
            Timestamp(b.date_time),
            Str(b.extra),
        ]),
        (Event::Auction(a), NexmarkKind::Auction) => Row::new(vec![
            Long(a.id),
            Str(a.item_name),
            Str(a.description),
            Long(a.initial_bid),
            Long(a.reserve),
            Timestamp(a.date_time),
            Timestamp(a.expires),
            Long(a.seller),
            Long(a.category),
            Str(a.extra),
        ]),
        (Event::Person(p), NexmarkKind::Person) => Row::new(vec![
            Long(p.id),
            Str(p.name),
            Str(p.email_address),
            Str(p.credit_card),
            Str(p.city),
            Str(p.state),
            Timestamp(p.date_time),
            Str(p.extra),
        ]),
        _ => return None,
    })
}
