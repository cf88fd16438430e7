//! Nexmark's windowed queries (`shared/nexmark/QUERIES.md`) on a stream of [`Event`]s
//! with event time on `dateTime` and watermarks 4 s behind:
//! q5 (hot items: sliding 10 s / 2 s counts per auction, the top auctions per window),
//! q7 (highest bid per tumbling 10 s window), q8 (new users who sold within their
//! registration window: a tumbling 10 s co-group of persons and sellers) and q11 (bids per
//! bidder session, gap 10 s).

use std::time::Duration;

use rkyv::{Archive, Deserialize, Serialize};
use weir_core::api::DataStream;
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::record::Data;
use weir_core::time::WatermarkStrategy;
use weir_core::window::{
    EventTimeSessionWindows, ProcessWindowFunction, SlidingEventTimeWindows, TimeWindow,
    TumblingEventTimeWindows, WindowContext,
};
use weir_state::keyed::{
    AggregateFunction, HeapSize, ListState, ListStateDescriptor, ValueState, ValueStateDescriptor,
};
use weir_state::HeapKeyedStateBackend;

use super::csv::write_i64;
use super::local::Local;
use super::local_count::{SliceCounts, SumCounts};
use super::local_sessions::{LocalSessions, PartialSession, SumSessionCounts};
use super::local_top::{TopBids, TopCounts};
use super::model::Event;
use super::queries::{BidColumns, CsvRow};

/// Ten seconds, the window size (and session gap) of q5, q7, q8 and q11.
const TEN_S: i64 = 10_000;

/// The stream with timestamps on `dateTime` (read by `date_time`) and watermarks 4 s
/// behind the largest seen, as every Nexmark query has them.
pub fn with_event_time<T: Data>(stream: &DataStream<T>, date_time: fn(&T) -> i64) -> DataStream<T> {
    stream.assign_timestamps_and_watermarks(
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(4))
            .with_timestamp_assigner(move |e: &T, _| date_time(e)),
    )
}

/// Counts elements (the `COUNT(*)` of q5 and q11).
#[derive(Clone, Copy, Debug, Default)]
pub struct CountAll;

impl<T> AggregateFunction<T, i64, i64> for CountAll {
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, _: T, acc: &mut i64) {
        *acc += 1;
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// A count of one key in one window: (key, count, window start, window end).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Archive, Serialize, Deserialize)]
pub struct KeyCount {
    /// The key (auction for q5, bidder for q11).
    pub key: i64,
    /// Elements of the key in the window.
    pub count: i64,
    /// Window start, epoch ms.
    pub start: i64,
    /// Window end, epoch ms.
    pub end: i64,
}

impl CsvRow for KeyCount {
    fn write_csv(&self, out: &mut Vec<u8>) {
        for (i, v) in [self.key, self.count, self.start, self.end]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            write_i64(out, v);
        }
    }
}

/// Tags a window's count with its key and bounds.
#[derive(Clone, Copy, Debug, Default)]
struct TagCount;

impl ProcessWindowFunction<i64, i64, KeyCount, TimeWindow> for TagCount {
    fn process(
        &mut self,
        key: &i64,
        ctx: &mut WindowContext<'_, i64, TimeWindow>,
        counts: Vec<i64>,
        out: &mut Collector<'_, KeyCount>,
    ) -> OpResult {
        let w = *ctx.window();
        for count in counts {
            out.collect(KeyCount {
                key: *key,
                count,
                start: w.start,
                end: w.end,
            });
        }
        Ok(())
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Keeps, per window, the rows whose count is the window's largest (ties: all).
#[derive(Clone, Copy, Debug, Default)]
struct Hottest;

impl ProcessWindowFunction<i64, KeyCount, KeyCount, TimeWindow> for Hottest {
    fn process(
        &mut self,
        _: &i64,
        _: &mut WindowContext<'_, i64, TimeWindow>,
        rows: Vec<KeyCount>,
        out: &mut Collector<'_, KeyCount>,
    ) -> OpResult {
        let max = rows.iter().map(|r| r.count).max().unwrap_or(0);
        for r in rows.into_iter().filter(|r| r.count == max) {
            out.collect(r);
        }
        Ok(())
    }
}

/// q5: per sliding window (10 s, every 2 s) the bid count per auction; the auctions with
/// the window's largest count. Rows: auction, num, window_start, window_end.
pub fn q5<B: BidColumns>(bids: &DataStream<B>) -> Result<DataStream<KeyCount>, OperatorError> {
    // Counted per 2 s slice on each subtask first, then summed per window.
    let counts = bids
        .map(|b: B| (b.auction(), b.date_time()))
        .transform("Q5 Local Count", |_, out, _| {
            Ok(Box::new(Local::new(SliceCounts::new(2_000), out)))
        })
        .key_by(|c: &(i64, i64)| c.0)
        .window(SlidingEventTimeWindows::of(secs(10), secs(2))?)
        .aggregate_with(SumCounts, TagCount)
        // Only each subtask's largest counts per window cross the exchange.
        .transform("Q5 Local Max", |_, out, _| {
            Ok(Box::new(Local::new(TopCounts::default(), out)))
        });
    // A window's counts carry its last timestamp, so the tumbling 2 s window holding it
    // is that window's alone and fires once all its counts are in.
    Ok(counts
        .key_by(|r: &KeyCount| r.end)
        .window(TumblingEventTimeWindows::of(secs(2))?)
        .process(Hottest))
}

/// q11: per bidder, session windows with a 10 s gap; the bids per session. Rows: bidder,
/// bid_count, window_start, window_end.
pub fn q11<B: BidColumns>(bids: &DataStream<B>) -> Result<DataStream<KeyCount>, OperatorError> {
    // Partial sessions on each subtask first, merged and summed per bidder after.
    Ok(bids
        .map(|b: B| (b.bidder(), b.date_time()))
        .transform("Q11 Local Sessions", |_, out, _| {
            Ok(Box::new(Local::new(LocalSessions::new(TEN_S), out)))
        })
        .key_by(|p: &PartialSession| p.0)
        .window(EventTimeSessionWindows::with_dynamic_gap(
            |&(_, start, end, _): &PartialSession| {
                Duration::from_millis(u64::try_from(end - start).unwrap_or(1))
            },
        ))
        .aggregate_with(SumSessionCounts, TagCount))
}

/// A q7 row: a bid with the highest price of a window.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Archive, Serialize, Deserialize)]
pub struct Q7Row {
    /// The auction's id.
    pub auction: i64,
    /// The price, the window's highest.
    pub price: i64,
    /// The bidder's id.
    pub bidder: i64,
    /// Event time, epoch ms.
    pub date_time: i64,
    /// Padding, as read.
    pub extra: String,
}

impl HeapSize for Q7Row {
    fn heap_size(&self) -> usize {
        self.extra.capacity()
    }
}

impl CsvRow for Q7Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        for v in [self.auction, self.price, self.bidder, self.date_time] {
            write_i64(out, v);
            out.push(b',');
        }
        out.extend_from_slice(self.extra.as_bytes());
    }
}

/// The windows a q7 bid is compared with: it lies in `[end - 10 s, end]` for the end of
/// the window holding it and, exactly on a window boundary, also for the window ending
/// there.
fn q7_candidates(bid: Q7Row) -> impl Iterator<Item = (i64, Q7Row)> {
    let t = bid.date_time;
    let end = t - t.rem_euclid(TEN_S) + TEN_S;
    let boundary = (t.rem_euclid(TEN_S) == 0).then(|| (t, bid.clone()));
    std::iter::once((end, bid)).chain(boundary)
}

/// The states of [`HighestBid`]: the highest price, the bids at it, the bids at the end.
type HighestBidStates = (
    ValueState<(), i64>,
    ListState<(), Q7Row>,
    ListState<(), Q7Row>,
);

/// Per window end: the highest price among the window's bids and the bids at that price,
/// plus the bids exactly at the end (they match if their price equals the window's
/// highest); emitted when the watermark passes the end.
#[derive(Clone, Default)]
struct HighestBid {
    max: Option<ValueState<(), i64>>,
    top: Option<ListState<(), Q7Row>>,
    at_end: Option<ListState<(), Q7Row>>,
}

impl HighestBid {
    fn states(&self) -> Result<HighestBidStates, OperatorError> {
        match (self.max, self.top, self.at_end) {
            (Some(m), Some(t), Some(e)) => Ok((m, t, e)),
            _ => Err(OperatorError::User("q7 state used before open".into())),
        }
    }
}

impl KeyedProcessFunction<i64, (i64, Q7Row), Q7Row> for HighestBid {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.max = Some(state.value_state(&ValueStateDescriptor::new("q7-max"))?);
        self.top = Some(state.list_state(&ListStateDescriptor::new("q7-top"))?);
        self.at_end = Some(state.list_state(&ListStateDescriptor::new("q7-at-end"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        (end, bid): (i64, Q7Row),
        ctx: &mut KeyedContext<'_, i64>,
        _: &mut Collector<'_, Q7Row>,
    ) -> OpResult {
        let (max, top, at_end) = self.states()?;
        ctx.register_event_time_timer(end);
        if bid.date_time == end {
            at_end.add(ctx.state(), &(), bid)?;
            return Ok(());
        }
        match max.value(ctx.state(), &())? {
            Some(m) if bid.price < m => {}
            Some(m) if bid.price == m => top.add(ctx.state(), &(), bid)?,
            _ => {
                max.update(ctx.state(), &(), bid.price)?;
                top.update(ctx.state(), &(), [bid])?;
            }
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        _: i64,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, Q7Row>,
    ) -> OpResult {
        let (max, top, at_end) = self.states()?;
        if let Some(m) = max.value(ctx.state(), &())? {
            for bid in top.get(ctx.state(), &())? {
                out.collect(bid);
            }
            for bid in at_end.get(ctx.state(), &())? {
                if bid.price == m {
                    out.collect(bid);
                }
            }
        }
        max.clear(ctx.state(), &())?;
        top.clear(ctx.state(), &())?;
        at_end.clear(ctx.state(), &())?;
        Ok(())
    }
}

/// q7: the bids with the highest price of a tumbling 10 s window, among the bids from
/// 10 s before the window's end up to its end inclusive. Rows: auction, price, bidder,
/// dateTime, extra.
pub fn q7<B: BidColumns>(bids: &DataStream<B>) -> DataStream<Q7Row> {
    bids.flat_map(|b: B| {
        let row = Q7Row {
            auction: b.auction(),
            price: b.price(),
            bidder: b.bidder(),
            date_time: b.date_time(),
            extra: b.into_extra(),
        };
        q7_candidates(row)
    })
    .transform("Q7 Local Top", |_, out, _| {
        Ok(Box::new(Local::new(TopBids::default(), out)))
    })
    .key_by(|c: &(i64, Q7Row)| c.0)
    .process(HighestBid::default())
}

/// A q8 row: a person who opened an auction in the tumbling window they registered in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Archive, Serialize, Deserialize)]
pub struct Q8Row {
    /// The person's id.
    pub id: i64,
    /// The person's name.
    pub name: String,
    /// The window's start, epoch ms.
    pub start: i64,
}

impl CsvRow for Q8Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.id);
        out.push(b',');
        out.extend_from_slice(self.name.as_bytes());
        out.push(b',');
        write_i64(out, self.start);
    }
}

/// q8: per tumbling 10 s window, the people who registered in it (distinct id and name)
/// and opened an auction in it. Rows: id, name, window_start.
pub fn q8(events: &DataStream<Event>) -> Result<DataStream<Q8Row>, OperatorError> {
    let persons = events.flat_map(|e: Event| match e {
        Event::Person(p) => Some((p.id, p.name, p.date_time)),
        _ => None,
    });
    let sellers = events.flat_map(|e: Event| match e {
        Event::Auction(a) => Some(a.seller),
        _ => None,
    });
    Ok(persons
        .co_group(&sellers)
        .where_key(|p: &(i64, String, i64)| p.0)
        .equal_to(|s: &i64| *s)
        .window(TumblingEventTimeWindows::of(secs(10))?)
        .apply(
            |people: Vec<(i64, String, i64)>, sold: Vec<i64>, out: &mut Collector<'_, Q8Row>| {
                if sold.is_empty() {
                    return;
                }
                let mut seen: Vec<&str> = Vec::new();
                for (id, name, t) in &people {
                    if !seen.contains(&name.as_str()) {
                        seen.push(name);
                        out.collect(Q8Row {
                            id: *id,
                            name: name.clone(),
                            start: t - t.rem_euclid(TEN_S),
                        });
                    }
                }
            },
        ))
}
