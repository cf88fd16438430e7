//! Nexmark's join queries (`shared/nexmark/QUERIES.md`) on a stream of [`Event`]s:
//! q3 (local item suggestion: an unbounded inner join of auctions with their sellers) and
//! q4 (average closing price per category: each auction's highest bid within its
//! lifetime, then the average per category).

use rkyv::{Archive, Deserialize, Serialize};
use weir_core::api::DataStream;
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::two_input::KeyedCoProcessFunction;
use weir_core::operator::{OpResult, OperatorError};
use weir_state::keyed::{
    InlineSized, ListState, ListStateDescriptor, ValueState, ValueStateDescriptor,
};
use weir_state::HeapKeyedStateBackend;

use super::csv::write_i64;
use super::model::Event;
use super::queries::CsvRow;

/// A q3 row: a seller's name, city and state, and the auction's id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Archive, Serialize, Deserialize)]
pub struct Q3Row {
    /// The seller's name.
    pub name: String,
    /// The seller's city.
    pub city: String,
    /// The seller's state.
    pub state: String,
    /// The auction's id.
    pub auction: i64,
}

impl CsvRow for Q3Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        for s in [&self.name, &self.city, &self.state] {
            out.extend_from_slice(s.as_bytes());
            out.push(b',');
        }
        write_i64(out, self.auction);
    }
}

/// A person of q3: (id, name, city, state).
type Seller = (i64, String, String, String);

/// Keeps both sides of the q3 join per seller id and emits every new pair.
#[derive(Clone, Default)]
struct SellerJoin {
    people: Option<ListState<(), InlineSized<Seller>>>,
    auctions: Option<ListState<(), i64>>,
}

fn unopened(what: &str) -> OperatorError {
    OperatorError::User(format!("{what} state used before open"))
}

fn row(p: &Seller, auction: i64) -> Q3Row {
    Q3Row {
        name: p.1.clone(),
        city: p.2.clone(),
        state: p.3.clone(),
        auction,
    }
}

impl KeyedCoProcessFunction<i64, Seller, (i64, i64), Q3Row> for SellerJoin {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.people = Some(state.list_state(&ListStateDescriptor::new("q3-people"))?);
        self.auctions = Some(state.list_state(&ListStateDescriptor::new("q3-auctions"))?);
        Ok(())
    }

    fn process_element1(
        &mut self,
        person: Seller,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, Q3Row>,
    ) -> OpResult {
        let (people, auctions) = (self.people, self.auctions);
        let (people, auctions) = people.zip(auctions).ok_or_else(|| unopened("q3"))?;
        for auction in auctions.get(ctx.state(), &())? {
            out.collect(row(&person, auction));
        }
        people.add(ctx.state(), &(), InlineSized(person))?;
        Ok(())
    }

    fn process_element2(
        &mut self,
        (_, auction): (i64, i64),
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, Q3Row>,
    ) -> OpResult {
        let (people, auctions) = (self.people, self.auctions);
        let (people, auctions) = people.zip(auctions).ok_or_else(|| unopened("q3"))?;
        people.with_list(ctx.state(), &(), |list| {
            for p in list {
                out.collect(row(&p.0, auction));
            }
        })?;
        auctions.add(ctx.state(), &(), auction)?;
        Ok(())
    }
}

/// q3: auctions of category 10 with their seller, if the seller lives in OR, ID or CA;
/// either side may come first. Rows: name, city, state, auction id.
pub fn q3(events: &DataStream<Event>) -> DataStream<Q3Row> {
    let sellers = events.flat_map(|e: Event| match e {
        Event::Person(p) if ["OR", "ID", "CA"].contains(&p.state.as_str()) => {
            Some((p.id, p.name, p.city, p.state))
        }
        _ => None,
    });
    let auctions = events.flat_map(|e: Event| match e {
        Event::Auction(a) if a.category == 10 => Some((a.seller, a.id)),
        _ => None,
    });
    sellers
        .connect(&auctions)
        .key_by(|p: &Seller| p.0, |a: &(i64, i64)| a.0)
        .process(SellerJoin::default())
}

/// An auction of q4: (id, dateTime, expires, category).
type Lot = (i64, i64, i64, i64);
/// A bid of q4: (auction, price, dateTime).
type Offer = (i64, i64, i64);

/// Per auction: its highest bid price within `[dateTime, expires]`, emitted as
/// (category, price) when the watermark passes `expires`. Bids arriving before their
/// auction wait, until the watermark passes their own time (no auction arriving later
/// can start before them).
#[derive(Clone, Default)]
struct ClosingPrice {
    lot: Option<ValueState<(), (i64, i64, i64)>>,
    max: Option<ValueState<(), i64>>,
    early: Option<ListState<(), (i64, i64)>>,
}

type ClosingStates = (
    ValueState<(), (i64, i64, i64)>,
    ValueState<(), i64>,
    ListState<(), (i64, i64)>,
);

impl ClosingPrice {
    fn states(&self) -> Result<ClosingStates, OperatorError> {
        match (self.lot, self.max, self.early) {
            (Some(l), Some(m), Some(e)) => Ok((l, m, e)),
            _ => Err(unopened("q4")),
        }
    }

    fn offer(
        max: ValueState<(), i64>,
        state: &mut HeapKeyedStateBackend<i64>,
        price: i64,
    ) -> OpResult {
        let best = max.value(state, &())?.map_or(price, |m| m.max(price));
        max.update(state, &(), best)?;
        Ok(())
    }
}

impl KeyedCoProcessFunction<i64, Lot, Offer, (i64, i64)> for ClosingPrice {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.lot = Some(state.value_state(&ValueStateDescriptor::new("q4-auction"))?);
        self.max = Some(state.value_state(&ValueStateDescriptor::new("q4-max"))?);
        self.early = Some(state.list_state(&ListStateDescriptor::new("q4-early-bids"))?);
        Ok(())
    }

    fn process_element1(
        &mut self,
        (_, start, expires, category): Lot,
        ctx: &mut KeyedContext<'_, i64>,
        _: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let (lot, max, early) = self.states()?;
        lot.update(ctx.state(), &(), (start, expires, category))?;
        for (price, t) in early.get(ctx.state(), &())? {
            if start <= t && t <= expires {
                Self::offer(max, ctx.state(), price)?;
            }
        }
        early.clear(ctx.state(), &())?;
        ctx.register_event_time_timer(expires);
        Ok(())
    }

    fn process_element2(
        &mut self,
        (_, price, t): Offer,
        ctx: &mut KeyedContext<'_, i64>,
        _: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let (lot, max, early) = self.states()?;
        match lot.value(ctx.state(), &())? {
            Some((start, expires, _)) if start <= t && t <= expires => {
                Self::offer(max, ctx.state(), price)?;
            }
            Some(_) => {}
            None if t > ctx.current_watermark() => {
                early.add(ctx.state(), &(), (price, t))?;
                ctx.register_event_time_timer(t);
            }
            // No auction arriving from now on can start this early.
            None => {}
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let (lot, max, early) = self.states()?;
        match lot.value(ctx.state(), &())? {
            Some((_, expires, category)) if expires == timestamp => {
                if let Some(price) = max.value(ctx.state(), &())? {
                    out.collect((category, price));
                }
                lot.clear(ctx.state(), &())?;
                max.clear(ctx.state(), &())?;
            }
            Some(_) => {}
            None => {
                let waiting: Vec<(i64, i64)> = early.get(ctx.state(), &())?;
                let kept: Vec<(i64, i64)> =
                    waiting.into_iter().filter(|b| b.1 > timestamp).collect();
                early.update(ctx.state(), &(), kept)?;
            }
        }
        Ok(())
    }
}

/// Per category the running sum and count of closing prices; the average (Java `long`
/// arithmetic: wrapping sum, truncating division) is emitted at the end of the input.
#[derive(Clone, Default)]
struct CategoryAverage {
    sum_count: Option<ValueState<(), (i64, i64)>>,
}

impl KeyedProcessFunction<i64, (i64, i64), Q4Row> for CategoryAverage {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.sum_count = Some(state.value_state(&ValueStateDescriptor::new("q4-sum-count"))?);
        Ok(())
    }
    fn process_element(
        &mut self,
        (_, price): (i64, i64),
        ctx: &mut KeyedContext<'_, i64>,
        _: &mut Collector<'_, Q4Row>,
    ) -> OpResult {
        let s = self.sum_count.ok_or_else(|| unopened("q4"))?;
        let (sum, count) = s.value(ctx.state(), &())?.unwrap_or((0, 0));
        s.update(ctx.state(), &(), (sum.wrapping_add(price), count + 1))?;
        ctx.register_event_time_timer(i64::MAX);
        Ok(())
    }
    fn on_timer(
        &mut self,
        _: i64,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, Q4Row>,
    ) -> OpResult {
        let s = self.sum_count.ok_or_else(|| unopened("q4"))?;
        if let Some((sum, count)) = s.value(ctx.state(), &())? {
            if count > 0 {
                out.collect(Q4Row {
                    category: *ctx.current_key(),
                    avg_final: sum / count,
                });
            }
        }
        s.clear(ctx.state(), &())?;
        Ok(())
    }
}

/// A q4 row: a category and the average closing price of its auctions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Archive, Serialize, Deserialize)]
pub struct Q4Row {
    /// The category.
    pub category: i64,
    /// The average of its auctions' closing prices, truncated.
    pub avg_final: i64,
}

impl CsvRow for Q4Row {
    fn write_csv(&self, out: &mut Vec<u8>) {
        write_i64(out, self.category);
        out.push(b',');
        write_i64(out, self.avg_final);
    }
}

/// q4: per auction the highest bid within its lifetime; per category the average of those
/// (its final value, once the input has ended). Rows: category, avg_final.
pub fn q4(events: &DataStream<Event>) -> DataStream<Q4Row> {
    let lots = events.flat_map(|e: Event| match e {
        Event::Auction(a) => Some((a.id, a.date_time, a.expires, a.category)),
        _ => None,
    });
    let offers = events.flat_map(|e: Event| match e {
        Event::Bid(b) => Some((b.auction, b.price, b.date_time)),
        _ => None,
    });
    lots.connect(&offers)
        .key_by(|l: &Lot| l.0, |o: &Offer| o.0)
        .process(ClosingPrice::default())
        .key_by(|c: &(i64, i64)| c.0)
        .process(CategoryAverage::default())
}
