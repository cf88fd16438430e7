//! Nexmark q0, q1 and q2 (`shared/nexmark/QUERIES.md`) on a [`DataStream<Bid>`], with
//! typed result rows and their CSV form (columns in QUERIES.md order, timestamps as
//! epoch milliseconds, `extra` as read).

use std::sync::Arc;
use weir_core::time::WatermarkStatus;

use rkyv::{Archive, Deserialize, Serialize};
use weir_core::api::DataStream;
use weir_core::operator::sink::Formatter;
use weir_core::operator::{BoxOutput, OpResult, Output};
use weir_core::record::{Data, Record, RecordRef};

use super::csv::write_i64;
use super::model::{ArchivedBid, Bid};

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
    /// The `extra` column.
    fn extra(&self) -> &str;
    /// The q1 row of a bid read in place (after an exchange), without deserialising it.
    fn archived_q1(a: &rkyv::Archived<Self>) -> Q1Row;
    /// The (auction, price) of a bid read in place.
    fn archived_auction_price(a: &rkyv::Archived<Self>) -> (i64, i64);
}

/// Implements [`BidColumns`] for a bid type `$t` whose archived form is `$archived`: both
/// carry the columns q0–q2 read under the same names.
macro_rules! bid_columns {
    ($t:ty, $archived:ty) => {
        impl BidColumns for $t {
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
            fn extra(&self) -> &str {
                &self.extra
            }
            fn archived_q1(a: &$archived) -> Q1Row {
                Q1Row {
                    auction: a.auction.to_native(),
                    bidder: a.bidder.to_native(),
                    price_thousandths: i128::from(a.price.to_native()) * 908,
                    date_time: a.date_time.to_native(),
                    extra: a.extra.as_str().to_owned(),
                }
            }
            fn archived_auction_price(a: &$archived) -> (i64, i64) {
                (a.auction.to_native(), a.price.to_native())
            }
        }
    };
}

bid_columns!(Bid, ArchivedBid);
bid_columns!(QueryBid, ArchivedQueryBid);

/// q0, pass-through: every bid (written as `auction, bidder, price, dateTime, extra`).
/// A bid read in place after an exchange is passed on in place, never deserialised.
pub fn q0<B: BidColumns>(bids: &DataStream<B>) -> DataStream<B> {
    bids.transform("q0: pass-through", |_, out, _| {
        Ok(Box::new(Query::<B, B> {
            out,
            f: |r| Some(r),
        }))
    })
}

/// q1, currency conversion: every bid with `price * 0.908`, exact to 3 fraction digits.
pub fn q1<B: BidColumns>(bids: &DataStream<B>) -> DataStream<Q1Row> {
    bids.transform("q1: price * 0.908", |_, out, _| {
        Ok(Box::new(Query::<B, Q1Row> {
            out,
            f: |r| {
                Some(Record::Owned(match r {
                    Record::Owned(b) => Q1Row {
                        auction: b.auction(),
                        bidder: b.bidder(),
                        price_thousandths: i128::from(b.price()) * 908,
                        date_time: b.date_time(),
                        extra: b.into_extra(),
                    },
                    Record::Borrowed(b) => Q1Row {
                        auction: b.auction(),
                        bidder: b.bidder(),
                        price_thousandths: i128::from(b.price()) * 908,
                        date_time: b.date_time(),
                        extra: b.extra().to_owned(),
                    },
                    Record::InPlace(p) => B::archived_q1(p.get()),
                }))
            },
        }))
    })
}

/// q2, selection: `(auction, price)` of the bids whose `auction % 123 == 0`.
pub fn q2<B: BidColumns>(bids: &DataStream<B>) -> DataStream<Q2Row> {
    bids.transform("q2: auction % 123 == 0", |_, out, _| {
        Ok(Box::new(Query::<B, Q2Row> {
            out,
            f: |r| {
                let (auction, price) = match r.view() {
                    RecordRef::Value(b) => (b.auction(), b.price()),
                    RecordRef::InPlace(p) => B::archived_auction_price(p.get()),
                };
                (auction % 123 == 0).then_some(Record::Owned(Q2Row { auction, price }))
            },
        }))
    })
}

/// A query step over records as they arrive, owned or read in place.
struct Query<B: Data, O: Data> {
    out: BoxOutput<O>,
    f: for<'a> fn(Record<'a, B>) -> Option<Record<'a, O>>,
}

impl<B: Data, O: Data> Output<B> for Query<B, O> {
    fn collect(&mut self, record: Record<'_, B>, timestamp: i64) -> OpResult {
        match (self.f)(record) {
            Some(r) => self.out.collect(r, timestamp),
            None => Ok(()),
        }
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut weir_core::operator::CheckpointCall<'_>) -> OpResult {
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
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

/// The q0 columns of a bid: `auction, bidder, price, dateTime, extra`.
fn write_bid_columns(out: &mut Vec<u8>, b: &impl BidColumns, extra: &str) {
    write_i64(out, b.auction());
    out.push(b',');
    write_i64(out, b.bidder());
    out.push(b',');
    write_i64(out, b.price());
    out.push(b',');
    write_i64(out, b.date_time());
    out.push(b',');
    out.extend_from_slice(extra.as_bytes());
}

impl CsvRow for Bid {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_bid_columns(out, self, &self.extra);
    }
}

impl CsvRow for QueryBid {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_bid_columns(out, self, &self.extra);
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
        match record.view() {
            RecordRef::Value(v) => v.write_csv(out),
            RecordRef::InPlace(p) => p.to_owned_value()?.write_csv(out),
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
