//! The Nexmark event model: [`Person`], [`Auction`], [`Bid`] and the [`Event`] that
//! holds one of them, with the fields of `shared/nexmark/FORMAT.md` in its column order.
//!
//! All types derive rkyv's `Archive`, `Serialize` and `Deserialize`, so events can
//! travel between shards as rkyv bytes and be read in place as [`ArchivedEvent`].

use rkyv::{Archive, Deserialize, Serialize};

/// A person registering with the auction site (kind `0`).
#[derive(Clone, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct Person {
    /// The person's id (`1000` for the first person).
    pub id: i64,
    /// First and last name separated by a space.
    pub name: String,
    /// The e-mail address (`emailAddress`).
    pub email_address: String,
    /// Four groups of four digits separated by spaces (`creditCard`).
    pub credit_card: String,
    /// The city of residence.
    pub city: String,
    /// The two-letter US state.
    pub state: String,
    /// Event time, epoch milliseconds (`dateTime`).
    pub date_time: i64,
    /// Padding (empty in generated data).
    pub extra: String,
}

/// An auction opened by a seller (kind `1`).
#[derive(Clone, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct Auction {
    /// The auction's id (`1000` for the first auction).
    pub id: i64,
    /// The item's name (`itemName`).
    pub item_name: String,
    /// The item's description.
    pub description: String,
    /// The opening price (`initialBid`).
    pub initial_bid: i64,
    /// The reserve price, at least the initial bid.
    pub reserve: i64,
    /// Event time, epoch milliseconds (`dateTime`).
    pub date_time: i64,
    /// When the auction closes, epoch milliseconds.
    pub expires: i64,
    /// The seller's person id.
    pub seller: i64,
    /// The category id (10 to 14 in generated data).
    pub category: i64,
    /// Padding (empty in generated data).
    pub extra: String,
}

/// A bid on an auction (kind `2`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct Bid {
    /// The auction's id.
    pub auction: i64,
    /// The bidder's person id.
    pub bidder: i64,
    /// The bid price.
    pub price: i64,
    /// The channel the bid came through.
    pub channel: String,
    /// The page the bid was placed on.
    pub url: String,
    /// Event time, epoch milliseconds (`dateTime`).
    pub date_time: i64,
    /// Padding (empty in generated data).
    pub extra: String,
}

/// One Nexmark event: a person, an auction or a bid.
#[derive(Clone, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub enum Event {
    /// A new person (kind `0`).
    Person(Person),
    /// A new auction (kind `1`).
    Auction(Auction),
    /// A bid (kind `2`).
    Bid(Bid),
}

/// A set of event kinds: the kinds a query reads, so that sources skip the others
/// without generating or parsing them (Flink's filter push-down into a source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKinds(u8);

impl EventKinds {
    /// Every kind.
    pub const ALL: EventKinds = EventKinds(0b111);

    /// The set of `kinds`.
    pub const fn of(kinds: &[EventKind]) -> EventKinds {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= 1 << kinds[i] as u8;
            i += 1;
        }
        EventKinds(bits)
    }

    /// Whether `kind` is in the set.
    #[inline]
    pub const fn contains(self, kind: EventKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }
}

/// Which of the three kinds an [`Event`] is; the discriminant is the CSV kind digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A person, kind `0`.
    Person = 0,
    /// An auction, kind `1`.
    Auction = 1,
    /// A bid, kind `2`.
    Bid = 2,
}

impl EventKind {
    /// The kind's number as in the first CSV column (`0`, `1` or `2`).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind for a CSV kind number, or `None` if it is not 0, 1 or 2.
    pub fn from_code(code: u8) -> Option<EventKind> {
        match code {
            0 => Some(EventKind::Person),
            1 => Some(EventKind::Auction),
            2 => Some(EventKind::Bid),
            _ => None,
        }
    }

    /// The kind's name as in the JSON format: `person`, `auction` or `bid`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Person => "person",
            EventKind::Auction => "auction",
            EventKind::Bid => "bid",
        }
    }

    /// The FORMAT.md names of this kind's columns after the kind column, in order.
    pub fn column_names(self) -> &'static [&'static str] {
        match self {
            EventKind::Person => &PERSON_COLUMNS,
            EventKind::Auction => &AUCTION_COLUMNS,
            EventKind::Bid => &BID_COLUMNS,
        }
    }
}

/// FORMAT.md names of a person's columns after the kind.
pub const PERSON_COLUMNS: [&str; 8] = [
    "id",
    "name",
    "emailAddress",
    "creditCard",
    "city",
    "state",
    "dateTime",
    "extra",
];

/// FORMAT.md names of an auction's columns after the kind.
pub const AUCTION_COLUMNS: [&str; 10] = [
    "id",
    "itemName",
    "description",
    "initialBid",
    "reserve",
    "dateTime",
    "expires",
    "seller",
    "category",
    "extra",
];

/// FORMAT.md names of a bid's columns after the kind.
pub const BID_COLUMNS: [&str; 7] = [
    "auction", "bidder", "price", "channel", "url", "dateTime", "extra",
];

impl Event {
    /// The event time in epoch milliseconds (the `dateTime` of whichever kind it is).
    pub fn date_time(&self) -> i64 {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }

    /// Which kind of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Person(_) => EventKind::Person,
            Event::Auction(_) => EventKind::Auction,
            Event::Bid(_) => EventKind::Bid,
        }
    }
}

impl ArchivedEvent {
    /// The event time in epoch milliseconds, read from the archived bytes.
    pub fn date_time(&self) -> i64 {
        match self {
            ArchivedEvent::Person(p) => p.date_time.to_native(),
            ArchivedEvent::Auction(a) => a.date_time.to_native(),
            ArchivedEvent::Bid(b) => b.date_time.to_native(),
        }
    }

    /// Which kind of event the archived bytes hold.
    pub fn kind(&self) -> EventKind {
        match self {
            ArchivedEvent::Person(_) => EventKind::Person,
            ArchivedEvent::Auction(_) => EventKind::Auction,
            ArchivedEvent::Bid(_) => EventKind::Bid,
        }
    }
}

impl From<Person> for Event {
    fn from(p: Person) -> Event {
        Event::Person(p)
    }
}

impl From<Auction> for Event {
    fn from(a: Auction) -> Event {
        Event::Auction(a)
    }
}

impl From<Bid> for Event {
    fn from(b: Bid) -> Event {
        Event::Bid(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid() -> Event {
        Event::Bid(Bid {
            auction: 1002,
            bidder: -7,
            price: i64::MAX,
            channel: "Google".into(),
            url: "https://www.nexmark.com/abcde/item.htm?query=1&channel_id=7".into(),
            date_time: 1_436_918_400_004,
            extra: String::new(),
        })
    }

    fn person() -> Event {
        Event::Person(Person {
            id: 1000,
            name: "Walter Abrams".into(),
            email_address: "mrqxila@tsrdr.com".into(),
            credit_card: "4907 3925 4902 7092".into(),
            city: "Portland".into(),
            state: "OR".into(),
            date_time: 1_436_918_400_000,
            extra: String::new(),
        })
    }

    fn auction() -> Event {
        Event::Auction(Auction {
            id: 1000,
            item_name: "zioveuecve".into(),
            description: "ytbdqejalngktmrymzrg".into(),
            initial_bid: 14419,
            reserve: 215_308,
            date_time: 1_436_918_400_001,
            expires: 1_436_918_425_001,
            seller: 1000,
            category: 10,
            extra: "x".into(),
        })
    }

    #[test]
    fn kind_sets_hold_what_they_are_made_of() {
        let s = EventKinds::of(&[EventKind::Person, EventKind::Bid]);
        assert!(s.contains(EventKind::Person) && s.contains(EventKind::Bid));
        assert!(!s.contains(EventKind::Auction));
        assert!(EventKinds::ALL.contains(EventKind::Auction));
    }

    #[test]
    fn rkyv_round_trip_and_access() {
        for ev in [person(), auction(), bid()] {
            let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&ev).unwrap();
            let archived = rkyv::access::<ArchivedEvent, rkyv::rancor::Error>(&bytes).unwrap();
            assert_eq!(archived.kind(), ev.kind());
            assert_eq!(archived.date_time(), ev.date_time());
            let back: Event = rkyv::deserialize::<Event, rkyv::rancor::Error>(archived).unwrap();
            assert_eq!(back, ev);
        }
    }

    #[test]
    fn rkyv_access_reads_fields_in_place() {
        let ev = bid();
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&ev).unwrap();
        let archived = rkyv::access::<ArchivedEvent, rkyv::rancor::Error>(&bytes).unwrap();
        match archived {
            ArchivedEvent::Bid(b) => {
                assert_eq!(b.price.to_native(), i64::MAX);
                assert_eq!(b.channel.as_str(), "Google");
            }
            _ => panic!("expected a bid"),
        }
    }

    #[test]
    fn rkyv_access_rejects_garbage() {
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&bid()).unwrap();
        // The root object sits at the end of the buffer and starts with the enum's tag.
        let root = bytes.len() - std::mem::size_of::<ArchivedEvent>();
        let mut bad = rkyv::util::AlignedVec::<16>::new();
        bad.extend_from_slice(&bytes);
        bad[root] = 3; // no such variant
        assert!(rkyv::access::<ArchivedEvent, rkyv::rancor::Error>(&bad).is_err());
        let short = &bytes[..bytes.len() - 1];
        assert!(rkyv::access::<ArchivedEvent, rkyv::rancor::Error>(short).is_err());
    }

    #[test]
    fn kind_codes_and_names() {
        assert_eq!(person().kind().code(), 0);
        assert_eq!(auction().kind().code(), 1);
        assert_eq!(bid().kind().code(), 2);
        for k in [EventKind::Person, EventKind::Auction, EventKind::Bid] {
            assert_eq!(EventKind::from_code(k.code()), Some(k));
        }
        assert_eq!(EventKind::from_code(3), None);
        assert_eq!(EventKind::Bid.name(), "bid");
        assert_eq!(EventKind::Auction.column_names()[3], "initialBid");
        assert_eq!(person().date_time(), 1_436_918_400_000);
    }
}
