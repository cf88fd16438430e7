//! The CSV form of Nexmark events (`shared/nexmark/FORMAT.md`): one event per line,
//! the kind digit then the kind's fields, no header and no quoting.
//!
//! [`write_event_csv`] appends the exact line `gen.py` writes; [`parse_event`] reads one
//! line back into an owned [`Event`]; [`parse_bid_borrowed`] reads bids without
//! allocating and skips persons and auctions after looking at their kind only.

use std::fmt;

use memchr::memchr;

use super::model::{Auction, Bid, Event, EventKind, Person};
use super::split::{split, Split};

/// Why one CSV line could not be read; the caller adds the file and line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based column the problem is in (the kind is column 1).
    pub column: usize,
    /// The column's FORMAT.md name (`kind`, `price`, …); for [`CsvErrorReason::TooManyColumns`]
    /// the name of the kind's last column, which the surplus follows.
    pub column_name: &'static str,
    /// What is wrong with the column.
    pub reason: CsvErrorReason,
}

/// What is wrong with a CSV column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvErrorReason {
    /// The first column is not `0`, `1` or `2`.
    UnknownKind,
    /// The line ends before this column.
    TooFewColumns {
        /// The line's kind.
        kind: EventKind,
    },
    /// The line goes on after the kind's last column.
    TooManyColumns {
        /// The line's kind.
        kind: EventKind,
    },
    /// An integer column does not hold a signed 64-bit decimal integer.
    NotAnInteger(IntErrorKind),
    /// A string column is not valid UTF-8.
    InvalidUtf8,
}

/// Why an integer column was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntErrorKind {
    /// No digits (an empty column, or `-` alone).
    Empty,
    /// A byte other than a digit (after an optional leading `-`).
    InvalidDigit,
    /// The value is outside the i64 range.
    Overflow,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            CsvErrorReason::TooManyColumns { kind } => write!(
                f,
                "column {} (after {}): too many columns: a {} line has {}",
                self.column,
                self.column_name,
                kind.name(),
                kind.column_names().len() + 1
            ),
            _ => write!(f, "column {} ({}): ", self.column, self.column_name)
                .and_then(|()| fmt::Display::fmt(&self.reason, f)),
        }
    }
}

impl fmt::Display for CsvErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorReason::UnknownKind => f.write_str("unknown event kind: expected 0, 1 or 2"),
            CsvErrorReason::TooFewColumns { kind } => write!(
                f,
                "too few columns: a {} line has {}",
                kind.name(),
                kind.column_names().len() + 1
            ),
            CsvErrorReason::TooManyColumns { kind } => write!(
                f,
                "too many columns: a {} line has {}",
                kind.name(),
                kind.column_names().len() + 1
            ),
            CsvErrorReason::NotAnInteger(why) => write!(f, "not an integer: {why}"),
            CsvErrorReason::InvalidUtf8 => f.write_str("invalid UTF-8"),
        }
    }
}

impl fmt::Display for IntErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IntErrorKind::Empty => "no digits",
            IntErrorKind::InvalidDigit => "invalid digit",
            IntErrorKind::Overflow => "out of the i64 range",
        })
    }
}

impl std::error::Error for CsvError {}

const KIND_COLUMN: &str = "kind";

/// A bid read in place from a CSV line: the string fields borrow from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BidRef<'a> {
    /// The auction's id.
    pub auction: i64,
    /// The bidder's person id.
    pub bidder: i64,
    /// The bid price.
    pub price: i64,
    /// The channel the bid came through.
    pub channel: &'a str,
    /// The page the bid was placed on.
    pub url: &'a str,
    /// Event time, epoch milliseconds.
    pub date_time: i64,
    /// Padding.
    pub extra: &'a str,
}

impl BidRef<'_> {
    /// An owned copy of the bid.
    pub fn to_bid(&self) -> Bid {
        Bid {
            auction: self.auction,
            bidder: self.bidder,
            price: self.price,
            channel: self.channel.to_owned(),
            url: self.url.to_owned(),
            date_time: self.date_time,
            extra: self.extra.to_owned(),
        }
    }
}

/// Appends `event` as `gen.py` writes it: kind digit, fields, `\n`.
pub fn write_event_csv(event: &Event, out: &mut Vec<u8>) {
    out.reserve(160);
    match event {
        Event::Person(p) => {
            out.push(b'0');
            put_int(out, p.id);
            put_str(out, &p.name);
            put_str(out, &p.email_address);
            put_str(out, &p.credit_card);
            put_str(out, &p.city);
            put_str(out, &p.state);
            put_int(out, p.date_time);
            put_str(out, &p.extra);
        }
        Event::Auction(a) => {
            out.push(b'1');
            put_int(out, a.id);
            put_str(out, &a.item_name);
            put_str(out, &a.description);
            put_int(out, a.initial_bid);
            put_int(out, a.reserve);
            put_int(out, a.date_time);
            put_int(out, a.expires);
            put_int(out, a.seller);
            put_int(out, a.category);
            put_str(out, &a.extra);
        }
        Event::Bid(b) => {
            out.push(b'2');
            put_int(out, b.auction);
            put_int(out, b.bidder);
            put_int(out, b.price);
            put_str(out, &b.channel);
            put_str(out, &b.url);
            put_int(out, b.date_time);
            put_str(out, &b.extra);
        }
    }
    out.push(b'\n');
}

#[inline]
fn put_str(out: &mut Vec<u8>, s: &str) {
    out.push(b',');
    out.extend_from_slice(s.as_bytes());
}

#[inline]
fn put_int(out: &mut Vec<u8>, v: i64) {
    out.push(b',');
    write_i64(out, v);
}

/// "00", "01", …, "99": two digits per lookup.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends `v` in decimal (a leading `-` if negative), as Python's `str(int)`.
#[inline]
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Parses a signed decimal i64: an optional `-`, then one or more ASCII digits.
pub fn parse_i64(s: &[u8]) -> Result<i64, IntErrorKind> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(IntErrorKind::Empty);
    }
    let mut v: i64 = 0;
    if digits.len() <= 18 {
        // At most 18 digits: |v| < 10^18 < 2^63, no overflow possible.
        for &b in digits {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(IntErrorKind::InvalidDigit);
            }
            v = v * 10 + i64::from(d);
        }
        return Ok(if negative { -v } else { v });
    }
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(IntErrorKind::InvalidDigit);
        }
        // Accumulate on the sign's side so that i64::MIN parses.
        let next = v.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(i64::from(d))
            } else {
                v.checked_add(i64::from(d))
            }
        });
        v = next.ok_or(IntErrorKind::Overflow)?;
    }
    Ok(v)
}

/// Drops one trailing `\n` and then one trailing `\r`, if present.
#[inline]
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits off the kind column and returns the kind and the rest (after the comma, if any).
#[inline]
fn split_kind(line: &[u8]) -> Result<(EventKind, Option<&[u8]>), CsvError> {
    let (field, rest) = match line {
        // The usual shape: one digit and a comma.
        [k, b',', rest @ ..] => (std::slice::from_ref(k), Some(rest)),
        _ => match memchr(b',', line) {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        },
    };
    let kind = match field {
        b"0" => EventKind::Person,
        b"1" => EventKind::Auction,
        b"2" => EventKind::Bid,
        _ => {
            return Err(CsvError {
                column: 1,
                column_name: KIND_COLUMN,
                reason: CsvErrorReason::UnknownKind,
            })
        }
    };
    Ok((kind, rest))
}

/// Reads only the kind of a CSV line (its first column).
pub fn parse_kind(line: &[u8]) -> Result<EventKind, CsvError> {
    split_kind(trim_line_end(line)).map(|(kind, _)| kind)
}

/// The columns after the kind, handed out in order with their number and name.
struct Fields<'a> {
    line: &'a [u8],
    split: Split,
    /// 0-based index, among the kind's columns, of the next column.
    index: usize,
    kind: EventKind,
}

impl<'a> Fields<'a> {
    /// `rest` is the line after the kind's comma (`None`: the kind stood alone).
    #[inline]
    fn new(kind: EventKind, rest: Option<&'a [u8]>) -> Fields<'a> {
        let limit = kind.column_names().len();
        let (line, split) = match rest {
            Some(rest) => (rest, split(rest, limit)),
            None => (&[][..], Split::EMPTY),
        };
        Fields {
            line,
            split,
            index: 0,
            kind,
        }
    }

    #[cold]
    fn error(&self, index: usize, reason: CsvErrorReason) -> CsvError {
        let names = self.kind.column_names();
        CsvError {
            column: index + 2,
            column_name: names.get(index).or(names.last()).copied().unwrap_or("?"),
            reason,
        }
    }

    #[inline]
    fn raw(&mut self) -> Result<&'a [u8], CsvError> {
        let i = self.index;
        if i >= self.split.present {
            let kind = self.kind;
            return Err(self.error(i, CsvErrorReason::TooFewColumns { kind }));
        }
        self.index += 1;
        let start = if i == 0 {
            0
        } else {
            self.split.ends[i - 1] + 1
        };
        Ok(&self.line[start..self.split.ends[i]])
    }

    #[inline]
    fn int(&mut self) -> Result<i64, CsvError> {
        let field = self.raw()?;
        parse_i64(field)
            .map_err(|why| self.error(self.index - 1, CsvErrorReason::NotAnInteger(why)))
    }

    #[inline]
    fn str(&mut self) -> Result<&'a str, CsvError> {
        let field = self.raw()?;
        if self.split.ascii {
            // SAFETY: `split.ascii` says every byte of the columns it recorded, this one
            // among them, is below 0x80, and ASCII bytes are valid UTF-8. Measured: this
            // skips a `from_utf8` that cost about a fifth of reading a bid.
            return Ok(unsafe { std::str::from_utf8_unchecked(field) });
        }
        std::str::from_utf8(field)
            .map_err(|_| self.error(self.index - 1, CsvErrorReason::InvalidUtf8))
    }

    #[inline]
    fn string(&mut self) -> Result<String, CsvError> {
        self.str().map(str::to_owned)
    }

    /// Fails if anything follows the kind's last column.
    #[inline]
    fn finish(&self) -> Result<(), CsvError> {
        if self.split.present > self.index {
            let kind = self.kind;
            return Err(self.error(self.index, CsvErrorReason::TooManyColumns { kind }));
        }
        Ok(())
    }
}

/// Parses one CSV line (without its `\n`; a trailing `\r` or `\n` is ignored) into an event.
pub fn parse_event(line: &[u8]) -> Result<Event, CsvError> {
    let (kind, rest) = split_kind(trim_line_end(line))?;
    let mut f = Fields::new(kind, rest);
    // Struct fields are evaluated in the order written: the column order.
    let event = match kind {
        EventKind::Person => Event::Person(Person {
            id: f.int()?,
            name: f.string()?,
            email_address: f.string()?,
            credit_card: f.string()?,
            city: f.string()?,
            state: f.string()?,
            date_time: f.int()?,
            extra: f.string()?,
        }),
        EventKind::Auction => Event::Auction(Auction {
            id: f.int()?,
            item_name: f.string()?,
            description: f.string()?,
            initial_bid: f.int()?,
            reserve: f.int()?,
            date_time: f.int()?,
            expires: f.int()?,
            seller: f.int()?,
            category: f.int()?,
            extra: f.string()?,
        }),
        EventKind::Bid => Event::Bid(bid_fields(&mut f)?.to_bid()),
    };
    f.finish()?;
    Ok(event)
}

#[inline]
fn bid_fields<'a>(f: &mut Fields<'a>) -> Result<BidRef<'a>, CsvError> {
    Ok(BidRef {
        auction: f.int()?,
        bidder: f.int()?,
        price: f.int()?,
        channel: f.str()?,
        url: f.str()?,
        date_time: f.int()?,
        extra: f.str()?,
    })
}

/// Reads a bid line in place without allocating; `Ok(None)` for a person or auction line,
/// which is skipped after its kind column without being parsed further.
pub fn parse_bid_borrowed(line: &[u8]) -> Result<Option<BidRef<'_>>, CsvError> {
    let (kind, rest) = split_kind(trim_line_end(line))?;
    if kind != EventKind::Bid {
        return Ok(None);
    }
    let mut f = Fields::new(kind, rest);
    let bid = bid_fields(&mut f)?;
    f.finish()?;
    Ok(Some(bid))
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
