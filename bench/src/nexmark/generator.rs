//! The native Nexmark generator: a line-for-line port of `shared/nexmark/gen.py`, so
//! that the same `(seed, rate, max_delay_ms)` gives byte-identical events.
//!
//! Every event is drawn from its own splitmix64 stream keyed by `(seed, id)`, so any id
//! can be generated alone: [`event`] is a pure function, and [`Generator`] walks ids
//! `start, start + step, …` so that subtask `i` of `n` generates ids `i, i + n, …`.

use std::fmt;
use std::iter::FusedIterator;
use std::ops::Range;

use super::model::{Auction, Bid, Event, EventKind, Person};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const EVENT_MIX: u64 = 0xD1B5_4A32_D192_ED03;

const PROPORTION_DENOMINATOR: u64 = 50;
const PERSON_PROPORTION: u64 = 1;
const AUCTION_PROPORTION: u64 = 3;
const FIRST_PERSON_ID: i64 = 1000;
const FIRST_AUCTION_ID: i64 = 1000;
const FIRST_CATEGORY_ID: i64 = 10;
const NUM_CATEGORIES: u64 = 5;
const HOT_AUCTION_RATIO: i64 = 2;
const HOT_SELLER_RATIO: i64 = 4;
const HOT_BIDDER_RATIO: i64 = 4;
const NUM_IN_FLIGHT_AUCTIONS: i64 = 100;
const NUM_ACTIVE_PEOPLE: i64 = 1000;
const PERSON_ID_LEAD: i64 = 10;
const AUCTION_ID_LEAD: i64 = 10;

/// Event time of event 0: 2015-07-15T00:00:00Z in epoch milliseconds.
pub const BASE_TIME_MS: i64 = 1_436_918_400_000;

const FIRST_NAMES: [&str; 11] = [
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter",
];
const LAST_NAMES: [&str; 9] = [
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris",
];
const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES: [&str; 10] = [
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne",
];
const CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];
const LETTERS: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
const URL_HEAD: &str = "https://www.nexmark.com/";
const URL_MID: &str = "/item.htm?query=1&channel_id=";

/// The generator's parameters, the same as `gen.py`'s `--seed`, `--rate` and
/// `--max-delay-ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeneratorConfig {
    /// Seed of the per-event random streams (`--seed`, default 1).
    pub seed: u64,
    /// Event-time events per second (`--rate`, default 1000); must be > 0.
    pub rate: u64,
    /// Each event's time is moved back by a random 0..=this many ms (`--max-delay-ms`,
    /// default 0: in order).
    pub max_delay_ms: u64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 1,
            rate: 1000,
            max_delay_ms: 0,
        }
    }
}

impl GeneratorConfig {
    /// Checks the parameters: `rate` must be positive.
    pub fn validate(&self) -> Result<(), GeneratorError> {
        if self.rate == 0 {
            return Err(GeneratorError::ZeroRate);
        }
        Ok(())
    }
}

/// Why a [`GeneratorConfig`] or a [`Generator`]'s id walk was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneratorError {
    /// `rate` was 0 (events per second of event time must be positive).
    ZeroRate,
    /// The id step was 0.
    ZeroStep,
    /// A subtask index not below the subtask count.
    SubtaskOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of subtasks.
        count: u64,
    },
}

impl fmt::Display for GeneratorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeneratorError::ZeroRate => f.write_str("generator rate must be > 0 events/s"),
            GeneratorError::ZeroStep => f.write_str("generator id step must be > 0"),
            GeneratorError::SubtaskOutOfRange { index, count } => {
                write!(
                    f,
                    "generator subtask {index} out of range: {count} subtasks"
                )
            }
        }
    }
}

impl std::error::Error for GeneratorError {}

/// splitmix64, one stream per `(seed, event id)`, as in FORMAT.md.
struct Rng(u64);

impl Rng {
    #[inline]
    fn new(seed: u64, id: u64) -> Rng {
        Rng(seed
            .wrapping_mul(GOLDEN)
            .wrapping_add(id.wrapping_mul(EVENT_MIX)))
    }

    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `next() % n`; `n` must be positive.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `below(n)` for an index into a table of `n` entries.
    #[inline]
    fn index(&mut self, n: usize) -> usize {
        // Tables are tiny, so both conversions are lossless.
        self.below(n as u64) as usize
    }

    #[inline]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Appends `n` random lowercase letters.
    #[inline]
    fn push_word(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push(char::from(LETTERS[self.index(26)]));
        }
    }

    fn word(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        self.push_word(&mut s, n);
        s
    }
}

/// Appends `v` in decimal, at least `min_digits` digits (zero-padded); `v < 10^20`.
#[inline]
fn push_decimal(out: &mut String, mut v: u64, min_digits: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v > 0 || buf.len() - i < min_digits.max(1) {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

#[inline]
fn last_base0_person_id(id: u64) -> i64 {
    // id / 50 < 2^58: fits an i64.
    (id / PROPORTION_DENOMINATOR * PERSON_PROPORTION) as i64
}

#[inline]
fn last_base0_auction_id(id: u64) -> i64 {
    let epoch = (id / PROPORTION_DENOMINATOR) as i64;
    let offset = id % PROPORTION_DENOMINATOR;
    let (epoch, offset) = if offset < PERSON_PROPORTION {
        (epoch - 1, AUCTION_PROPORTION - 1)
    } else if offset >= PERSON_PROPORTION + AUCTION_PROPORTION {
        (epoch, AUCTION_PROPORTION - 1)
    } else {
        (epoch, offset - PERSON_PROPORTION)
    };
    // |epoch| * 3 < 2^60: no overflow.
    epoch * AUCTION_PROPORTION as i64 + offset as i64
}

#[inline]
fn next_base0_person_id(id: u64, rng: &mut Rng) -> i64 {
    let num_people = last_base0_person_id(id) + 1;
    let active = num_people.min(NUM_ACTIVE_PEOPLE);
    // Past the first 1000 people the bound is a constant: a multiply instead of a divide.
    let draw = if active == NUM_ACTIVE_PEOPLE {
        rng.below((NUM_ACTIVE_PEOPLE + PERSON_ID_LEAD) as u64)
    } else {
        rng.below((active + PERSON_ID_LEAD) as u64)
    };
    num_people - active + draw as i64
}

#[inline]
fn next_base0_auction_id(id: u64, rng: &mut Rng) -> i64 {
    let max_auction = last_base0_auction_id(id);
    let min_auction = (max_auction - NUM_IN_FLIGHT_AUCTIONS).max(0);
    // Once 100 auctions are in flight the bound is a constant (see above).
    let draw = if min_auction > 0 {
        rng.below((NUM_IN_FLIGHT_AUCTIONS + 1 + AUCTION_ID_LEAD) as u64)
    } else {
        rng.below((max_auction - min_auction + 1 + AUCTION_ID_LEAD) as u64)
    };
    min_auction + draw as i64
}

#[inline]
fn next_price(rng: &mut Rng) -> i64 {
    // Python: int(math.floor(math.pow(10.0, unit * 6.0) * 100.0 + 0.5)); both call libm pow.
    (10.0f64.powf(rng.unit() * 6.0) * 100.0 + 0.5).floor() as i64
}

/// The event time of `id` before any delay: `BASE_TIME_MS + (id * 1000) / rate`,
/// computed exactly (Python integers are unbounded) and returned as an i128.
#[inline]
fn base_time(id: u64, rate: u64) -> i128 {
    let offset = match (id.checked_mul(1000), rate) {
        // The default and Flink's rate divide by a constant: a multiply instead.
        (Some(ms), 1000) => ms / 1000,
        (Some(ms), 10_000_000) => ms / 10_000_000,
        (Some(ms), _) => ms / rate,
        (None, _) => {
            return i128::from(BASE_TIME_MS) + (u128::from(id) * 1000 / u128::from(rate)) as i128
        }
    };
    i128::from(BASE_TIME_MS) + i128::from(offset)
}

/// Generates event `id` exactly as `gen.py`'s `event(id, seed, rate, max_delay_ms)`.
///
/// Pure and independent of every other id. A `dateTime` outside the i64 range (ids past
/// about 9·10^15 at rate 1; unreachable in practice) wraps.
///
/// # Panics
///
/// If `cfg.rate` is 0 (see [`GeneratorConfig::validate`]).
pub fn event(id: u64, cfg: &GeneratorConfig) -> Event {
    let (ts, mut rng) = time_and_rng(id, cfg);
    let offset = id % PROPORTION_DENOMINATOR;
    if offset < PERSON_PROPORTION {
        Event::Person(person(id, ts, &mut rng))
    } else if offset < PERSON_PROPORTION + AUCTION_PROPORTION {
        Event::Auction(auction(id, ts, &mut rng))
    } else {
        let mut b = Bid {
            channel: String::with_capacity(12),
            url: String::with_capacity(URL_HEAD.len() + 5 + URL_MID.len() + 4),
            ..Bid::default()
        };
        bid_into(id, ts, &mut rng, &mut b);
        Event::Bid(b)
    }
}

/// The kind of event `id` (from its id alone, without generating it).
pub fn event_kind(id: u64) -> EventKind {
    let offset = id % PROPORTION_DENOMINATOR;
    if offset < PERSON_PROPORTION {
        EventKind::Person
    } else if offset < PERSON_PROPORTION + AUCTION_PROPORTION {
        EventKind::Auction
    } else {
        EventKind::Bid
    }
}

/// Writes event `id` into `out` if it is a bid (exactly [`event`]'s bid), reusing the
/// capacity of its strings; returns whether it was one (else `out` is unchanged).
///
/// # Panics
///
/// If `cfg.rate` is 0 (see [`GeneratorConfig::validate`]).
pub fn bid_event_into(id: u64, cfg: &GeneratorConfig, out: &mut Bid) -> bool {
    if id % PROPORTION_DENOMINATOR < PERSON_PROPORTION + AUCTION_PROPORTION {
        return false;
    }
    let (ts, mut rng) = time_and_rng(id, cfg);
    bid_into(id, ts, &mut rng, out);
    true
}

/// The event time of `id` and the random stream positioned after its delay draw.
#[inline]
fn time_and_rng(id: u64, cfg: &GeneratorConfig) -> (i64, Rng) {
    let mut rng = Rng::new(cfg.seed, id);
    let mut ts = base_time(id, cfg.rate);
    if cfg.max_delay_ms != 0 {
        let delay = match cfg.max_delay_ms.checked_add(1) {
            Some(n) => rng.below(n),
            None => rng.next(), // below(2^64)
        };
        ts -= i128::from(delay);
    }
    (ts as i64, rng)
}

fn person(id: u64, ts: i64, rng: &mut Rng) -> Person {
    let first = FIRST_NAMES[rng.index(FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.index(LAST_NAMES.len())];
    let mut name = String::with_capacity(first.len() + 1 + last.len());
    name.push_str(first);
    name.push(' ');
    name.push_str(last);
    let mut email = String::with_capacity(7 + 1 + 5 + 4);
    rng.push_word(&mut email, 7);
    email.push('@');
    rng.push_word(&mut email, 5);
    email.push_str(".com");
    let mut card = String::with_capacity(19);
    for i in 0..4 {
        if i > 0 {
            card.push(' ');
        }
        push_decimal(&mut card, rng.below(10000), 4);
    }
    let city = US_CITIES[rng.index(US_CITIES.len())];
    let state = US_STATES[rng.index(US_STATES.len())];
    Person {
        id: last_base0_person_id(id) + FIRST_PERSON_ID,
        name,
        email_address: email,
        credit_card: card,
        city: city.to_owned(),
        state: state.to_owned(),
        date_time: ts,
        extra: String::new(),
    }
}

fn auction(id: u64, ts: i64, rng: &mut Rng) -> Auction {
    let aid = last_base0_auction_id(id) + FIRST_AUCTION_ID;
    let seller = FIRST_PERSON_ID
        + if rng.below(HOT_SELLER_RATIO as u64) > 0 {
            (last_base0_person_id(id) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        } else {
            next_base0_person_id(id, rng)
        };
    let category = FIRST_CATEGORY_ID + rng.below(NUM_CATEGORIES) as i64;
    let initial_bid = next_price(rng);
    let reserve = initial_bid + next_price(rng);
    let expires = ts.wrapping_add(1000 * (10 + rng.below(21) as i64));
    let item_name = rng.word(10);
    let description = rng.word(20);
    Auction {
        id: aid,
        item_name,
        description,
        initial_bid,
        reserve,
        date_time: ts,
        expires,
        seller,
        category,
        extra: String::new(),
    }
}

fn bid_into(id: u64, ts: i64, rng: &mut Rng, out: &mut Bid) {
    out.auction = FIRST_AUCTION_ID
        + if rng.below(HOT_AUCTION_RATIO as u64) > 0 {
            (last_base0_auction_id(id) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
        } else {
            next_base0_auction_id(id, rng)
        };
    out.bidder = FIRST_PERSON_ID
        + if rng.below(HOT_BIDDER_RATIO as u64) > 0 {
            (last_base0_person_id(id) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
        } else {
            next_base0_person_id(id, rng)
        };
    out.price = next_price(rng);
    let c = rng.index(10);
    out.channel.clear();
    match CHANNELS.get(c) {
        Some(name) => out.channel.push_str(name),
        None => {
            out.channel.push_str("channel-");
            push_decimal(&mut out.channel, rng.below(10000), 1);
        }
    }
    let url = &mut out.url;
    url.clear();
    url.push_str(URL_HEAD);
    rng.push_word(url, 5);
    url.push_str(URL_MID);
    push_decimal(url, rng.below(10000), 1);
    out.date_time = ts;
    out.extra.clear();
}

/// Walks ids `start, start + step, …` below `end`, yielding `(id, event(id))`.
///
/// With `step = n` and `start = first + i`, subtask `i` of `n` generates its share of a
/// run; the shares of all subtasks interleave to exactly the ids of the whole run.
#[derive(Clone, Debug)]
pub struct Generator {
    cfg: GeneratorConfig,
    next: u64,
    end: u64,
    step: u64,
}

impl Generator {
    /// A generator over ids `ids.start, ids.start + step, …` below `ids.end`.
    pub fn new(
        cfg: GeneratorConfig,
        ids: Range<u64>,
        step: u64,
    ) -> Result<Generator, GeneratorError> {
        cfg.validate()?;
        if step == 0 {
            return Err(GeneratorError::ZeroStep);
        }
        Ok(Generator {
            cfg,
            next: ids.start,
            end: ids.end,
            step,
        })
    }

    /// Subtask `index` of `count`: ids `ids.start + index, ids.start + index + count, …`.
    pub fn subtask(
        cfg: GeneratorConfig,
        ids: Range<u64>,
        index: u64,
        count: u64,
    ) -> Result<Generator, GeneratorError> {
        if index >= count {
            return Err(GeneratorError::SubtaskOutOfRange { index, count });
        }
        let start = ids.start.saturating_add(index).min(ids.end);
        Generator::new(cfg, start..ids.end, count)
    }

    /// The parameters events are generated with.
    pub fn config(&self) -> &GeneratorConfig {
        &self.cfg
    }

    /// The ids not generated yet, as a count.
    pub fn remaining(&self) -> u64 {
        if self.next >= self.end {
            0
        } else {
            (self.end - self.next - 1) / self.step + 1
        }
    }

    /// The same walk yielding only the events, without their ids.
    pub fn events(self) -> Events {
        Events(self)
    }
}

impl Iterator for Generator {
    type Item = (u64, Event);

    #[inline]
    fn next(&mut self) -> Option<(u64, Event)> {
        if self.next >= self.end {
            return None;
        }
        let id = self.next;
        // On overflow past u64::MAX the walk is over.
        self.next = id.checked_add(self.step).unwrap_or(self.end);
        Some((id, event(id, &self.cfg)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining()) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl FusedIterator for Generator {}

/// A [`Generator`] yielding events without their ids (from [`Generator::events`]).
#[derive(Clone, Debug)]
pub struct Events(Generator);

impl Iterator for Events {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        self.0.next().map(|(_, ev)| ev)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl FusedIterator for Events {}

#[cfg(test)]
#[path = "generator_tests.rs"]
mod tests;
