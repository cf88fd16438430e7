//! Nexmark q0, q1 and q2 (`shared/nexmark/QUERIES.md`) on a [`DataStream<Bid>`], with
//! typed result rows and their CSV form (columns in QUERIES.md order, timestamps as
//! epoch milliseconds, `extra` as read).

use std::sync::Arc;

use rkyv::{Archive, Deserialize, Serialize};
use weir_core::api::DataStream;
use weir_core::operator::sink::Formatter;
use weir_core::record::{Data, Record};

use super::csv::write_i64;
use super::model::Bid;

/// A q1 row: a bid with its price converted at the exact rate 0.908.
#[derive(Clone, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct Q1Row {
    /// The auction's id.
    pub auction: i64,
    /// The bidder's person id.
    pub bidder: i64,
    /// `price * 0.908` in thousandths (`price * 908`), exact.
    pub price_thousandths: i128,
    /// Event time, epoch milliseconds.
    pub date_time: i64,
    /// Padding, as read.
    pub extra: String,
}

/// A q2 row: the auction and price of a bid whose `auction % 123 == 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct Q2Row {
    /// The auction's id.
    pub auction: i64,
    /// The bid price.
    pub price: i64,
}

/// A bid projected on the columns q0–q2 read: what a file source materialises for them
/// (projection push-down, as Flink's planner pushes a projection into a CSV source), so
/// `channel` and `url` are checked but never copied.
#[derive(Clone, Debug, PartialEq, Eq, Archive, Serialize, Deserialize)]
pub struct QueryBid {
    /// The auction's id.
    pub auction: i64,
    /// The bidder's person id.
    pub bidder: i64,
    /// The bid price.
    pub price: i64,
    /// Event time, epoch milliseconds (`dateTime`).
    pub date_time: i64,
    /// Padding, as read.
    pub extra: String,
}

impl From<Bid> for QueryBid {
    fn from(b: Bid) -> Self {
        QueryBid {
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            date_time: b.date_time,
            extra: b.extra,
        }
    }
}

/// The columns of a bid that q0–q2 read: implemented by [`Bid`] and [`QueryBid`].
pub trait BidColumns: Data + CsvRow {
    /// The auction's id.
    fn auction(&self) -> i64;
    /// The bidder's id.
    fn bidder(&self) -> i64;
    /// The price.
    fn price(&self) -> i64;
    /// Event time, epoch milliseconds.
    fn date_time(&self) -> i64;
    /// The padding, moved out.
    fn into_extra(self) -> String;
}

impl BidColumns for Bid {
    fn auction(&self) -> i64 {
        self.auction
    }
    fn bidder(&self) -> i64 {
        self.bidder
    }
    fn price(&self) -> i64 {
        self.price
    }
    fn date_time(&self) -> i64 {
        self.date_time
    }
    fn into_extra(self) -> String {
        self.extra
    }
}

impl BidColumns for QueryBid {
    fn auction(&self) -> i64 {
        self.auction
    }
    fn bidder(&self) -> i64 {
        self.bidder
    }
    fn price(&self) -> i64 {
        self.price
    }
    fn date_time(&self) -> i64 {
        self.date_time
    }
    fn into_extra(self) -> String {
        self.extra
    }
}

/// q0, pass-through: every bid (written as `auction, bidder, price, dateTime, extra`).
pub fn q0<B: BidColumns>(bids: &DataStream<B>) -> DataStream<B> {
    bids.map(|b: B| b).name("q0: pass-through")
}

/// q1, currency conversion: every bid with `price * 0.908`, exact to 3 fraction digits.
pub fn q1<B: BidColumns>(bids: &DataStream<B>) -> DataStream<Q1Row> {
    bids.map(|b: B| Q1Row {
        auction: b.auction(),
        bidder: b.bidder(),
        price_thousandths: i128::from(b.price()) * 908,
        date_time: b.date_time(),
        extra: b.into_extra(),
    })
    .name("q1: price * 0.908")
}

/// q2, selection: `(auction, price)` of the bids whose `auction % 123 == 0`.
pub fn q2<B: BidColumns>(bids: &DataStream<B>) -> DataStream<Q2Row> {
    bids.flat_map(|b: B| {
        (b.auction() % 123 == 0).then_some(Q2Row {
            auction: b.auction(),
            price: b.price(),
        })
    })
    .name("q2: auction % 123 == 0")
}

/// A result row that knows its CSV line.
pub trait CsvRow {
    /// Appends the row's CSV line, without the newline.
    fn write_csv(&self, out: &mut Vec<u8>);

    /// The row's CSV line as a string, without the newline.
    fn to_csv_line(&self) -> String {
        let mut out = Vec::new();
        self.write_csv(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Appends `thousandths / 1000` in plain decimal notation with exactly 3 fraction digits.
pub fn write_decimal3(out: &mut Vec<u8>, thousandths: i128) {
    if thousandths < 0 {
        out.push(b'-');
    }
    let abs = thousandths.unsigned_abs();
    let int = abs / 1000;
    match i64::try_from(int) {
        Ok(v) => write_i64(out, v),
        Err(_) => out.extend_from_slice(int.to_string().as_bytes()),
    }
    let frac = (abs % 1000) as u16; // < 1000
    out.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

impl CsvRow for Bid {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.auction);
        out.push(b',');
        write_i64(out, self.bidder);
        out.push(b',');
        write_i64(out, self.price);
        out.push(b',');
        write_i64(out, self.date_time);
        out.push(b',');
        out.extend_from_slice(self.extra.as_bytes());
    }
}

impl CsvRow for QueryBid {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.auction);
        out.push(b',');
        write_i64(out, self.bidder);
        out.push(b',');
        write_i64(out, self.price);
        out.push(b',');
        write_i64(out, self.date_time);
        out.push(b',');
        out.extend_from_slice(self.extra.as_bytes());
    }
}

impl CsvRow for Q1Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.auction);
        out.push(b',');
        write_i64(out, self.bidder);
        out.push(b',');
        write_decimal3(out, self.price_thousandths);
        out.push(b',');
        write_i64(out, self.date_time);
        out.push(b',');
        out.extend_from_slice(self.extra.as_bytes());
    }
}

impl CsvRow for Q2Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.auction);
        out.push(b',');
        write_i64(out, self.price);
    }
}

/// A sink formatter writing rows as CSV lines (rows read in place are copied out first).
pub fn csv_formatter<T: Data + CsvRow>() -> Formatter<T> {
    Arc::new(|record: &Record<'_, T>, out: &mut Vec<u8>| {
        match record {
            Record::Owned(v) => v.write_csv(out),
            Record::InPlace(p) => p.to_owned_value()?.write_csv(out),
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(thousandths: i128) -> String {
        let mut out = Vec::new();
        write_decimal3(&mut out, thousandths);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decimals_are_exact_with_three_digits() {
        assert_eq!(decimal(1648 * 908), "1496.384");
        assert_eq!(decimal(100 * 908), "90.800");
        assert_eq!(decimal(0), "0.000");
        assert_eq!(decimal(908), "0.908");
        assert_eq!(decimal(-908), "-0.908");
        assert_eq!(decimal(-1_000_005), "-1000.005");
        assert_eq!(
            decimal(i128::from(i64::MIN) * 908),
            "-8374821809464136433.664"
        );
        assert_eq!(
            decimal(i128::from(i64::MAX) * 908),
            "8374821809464136432.756"
        );
    }

    #[test]
    fn rows_format_in_query_column_order() {
        let bid = Bid {
            auction: 1007,
            bidder: -3,
            price: 1648,
            channel: "Google".into(),
            url: "u".into(),
            date_time: 1_436_918_400_004,
            extra: String::new(),
        };
        assert_eq!(bid.to_csv_line(), "1007,-3,1648,1436918400004,");
        let row = Q1Row {
            auction: 1007,
            bidder: -3,
            price_thousandths: 1648 * 908,
            date_time: 5,
            extra: "x".into(),
        };
        assert_eq!(row.to_csv_line(), "1007,-3,1496.384,5,x");
        let row = Q2Row {
            auction: 1230,
            price: 77,
        };
        assert_eq!(row.to_csv_line(), "1230,77");
        let f = csv_formatter::<Q2Row>();
        let mut out = Vec::new();
        f(&Record::Owned(row), &mut out).unwrap();
        assert_eq!(out, b"1230,77");
    }
}
