//! Nexmark as Weir sources: the native generator in process ([`GeneratorSource`],
//! [`BidGeneratorSource`]) and parsers of the CSV file for
//! [`weir_core::runtime::file_source::LineFileSource`] ([`EventCsvParser`],
//! [`BidCsvParser`]).
//!
//! The generator sources split the ids of a run over the subtasks by stride (subtask
//! `i` of `n` generates ids `first + i, first + i + n, …`), so the union of their
//! outputs is exactly the `gen.py` event sequence. Each event carries its `dateTime` as
//! timestamp. An optional rate limit paces the whole run to `rate` event ids per second
//! of the task clock: event id `k` is due `(k - first) / rate` seconds after the
//! subtask's first batch; a subtask ahead of its schedule reports
//! `SourceStatus::IdleUntil` instead of sleeping.

use std::ops::Range;

use weir_core::operator::OperatorError;
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::file_source::LineParser;
use weir_core::runtime::progress::{Resume, RoundRobinProgress};
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};

use super::csv::{parse_bid_borrowed, parse_event};
use super::generator::{bid_event_into, event, event_kind, GeneratorConfig};
use super::model::{Bid, Event, EventKind, EventKinds};
use super::queries::QueryBid;
use super::swar::{ascii_str, fast_int, fast_text, skip_ascii_fields};

/// The strided id walk and its pacing, shared by both generator sources.
struct IdWalk {
    cfg: GeneratorConfig,
    first: u64,
    next: u64,
    end: u64,
    step: u64,
    pacing: Option<(f64, SharedClock)>,
    start_nanos: Option<u64>,
    subtask: usize,
    /// After a restore: which ids are left (until past every restored position).
    resume: Option<Resume>,
}

impl IdWalk {
    fn new(
        cfg: GeneratorConfig,
        ids: Range<u64>,
        subtask: usize,
        parallelism: usize,
        rate_limit: Option<(f64, SharedClock)>,
    ) -> Result<IdWalk, OperatorError> {
        cfg.validate()
            .map_err(|e| OperatorError::User(format!("nexmark generator: {e}")))?;
        if subtask >= parallelism.max(1) {
            return Err(OperatorError::User(format!(
                "nexmark generator: subtask {subtask} out of range: {parallelism} subtasks"
            )));
        }
        if let Some((rate, _)) = &rate_limit {
            if !(rate.is_finite() && *rate > 0.0) {
                return Err(OperatorError::User(format!(
                    "nexmark generator: rate limit must be > 0 events/s, got {rate}"
                )));
            }
        }
        Ok(IdWalk {
            cfg,
            first: ids.start,
            next: ids.start.saturating_add(subtask as u64).min(ids.end),
            end: ids.end,
            step: parallelism.max(1) as u64,
            pacing: rate_limit,
            start_nanos: None,
            subtask,
            resume: None,
        })
    }

    /// Goes on from the positions of every subtask of a snapshot (at any parallelism).
    fn resume(&mut self, restored: &[RoundRobinProgress]) -> Result<(), OperatorError> {
        let step = self.step as usize;
        self.resume = Some(Resume::new(
            restored,
            self.subtask,
            step,
            "nexmark generator",
        )?);
        self.seek(0);
        Ok(())
    }

    /// Moves to the first id at or after unit `unit` (an id's offset from the first) that
    /// is left to generate.
    fn seek(&mut self, unit: u64) {
        let Some(r) = &self.resume else { return };
        let next = r.next_unit(unit);
        if next.is_some_and(|(u, _)| u > r.highest_unit()) {
            self.resume = None; // all left from here on: plain stepping
        }
        self.next = match next {
            Some((u, _)) => self.first.saturating_add(u).min(self.end),
            None => self.end,
        };
    }

    /// Where the walk is, for a checkpoint (between batches: exactly what was emitted).
    fn position(&self) -> RoundRobinProgress {
        let step = self.step as usize;
        if self.next >= self.end {
            RoundRobinProgress::finished(step, self.subtask, self.end - self.first)
        } else {
            RoundRobinProgress::at(step, self.subtask, self.next - self.first, 0)
        }
    }

    /// How many ids may be generated now (at most `max`), or the instant the next is due.
    fn allowance(&mut self, max: usize) -> Result<u64, u64> {
        let Some((rate, clock)) = &self.pacing else {
            return Ok(max as u64);
        };
        let now = clock.now_nanos();
        let start = *self.start_nanos.get_or_insert(now);
        // The last global id due by now; this subtask may go up to it.
        let due_until = self.first as f64 + now.saturating_sub(start) as f64 * rate / 1e9;
        if (self.next as f64) > due_until {
            let wait_nanos = (self.next - self.first) as f64 * 1e9 / rate;
            return Err(start.saturating_add(wait_nanos as u64));
        }
        let ahead = ((due_until - self.next as f64) / self.step as f64) as u64 + 1;
        Ok(ahead.min(max as u64))
    }

    /// The next id, or `None` at the end of the walk.
    #[inline]
    fn take(&mut self) -> Option<u64> {
        if self.next >= self.end {
            return None;
        }
        let id = self.next;
        self.next = id.checked_add(self.step).unwrap_or(self.end);
        if self.resume.is_some() && self.next < self.end {
            // Restored: skip ids the snapshot's subtasks had generated.
            self.seek(self.next - self.first);
        }
        Some(id)
    }

    fn status(&self) -> SourceStatus {
        if self.next >= self.end {
            SourceStatus::Finished
        } else {
            SourceStatus::More
        }
    }
}

/// The Nexmark events of a run of ids, generated in process, split over the subtasks;
/// events of kinds outside `kinds` are skipped by their id, without being generated.
pub struct GeneratorSource {
    walk: IdWalk,
    kinds: EventKinds,
}

impl GeneratorSource {
    /// Subtask `subtask` of `parallelism` over `ids`, at most `rate_limit` (events/s of the
    /// whole run, on `clock`) when given.
    pub fn new(
        cfg: GeneratorConfig,
        ids: Range<u64>,
        subtask: usize,
        parallelism: usize,
        rate_limit: Option<(f64, SharedClock)>,
    ) -> Result<Self, OperatorError> {
        let walk = IdWalk::new(cfg, ids, subtask, parallelism, rate_limit)?;
        Ok(Self {
            walk,
            kinds: EventKinds::ALL,
        })
    }

    /// Emits only events of `kinds` (the others are skipped without being generated).
    pub fn only(mut self, kinds: EventKinds) -> Self {
        self.kinds = kinds;
        self
    }

    /// Goes on from the positions of every subtask of a snapshot (taken by
    /// [`GeneratorSource::position`], at any parallelism): only ids not generated then.
    pub fn resumed(mut self, restored: &[RoundRobinProgress]) -> Result<Self, OperatorError> {
        self.walk.resume(restored)?;
        Ok(self)
    }

    /// Where this subtask is, for a checkpoint (taken between batches).
    pub fn position(&self) -> RoundRobinProgress {
        self.walk.position()
    }

    /// [`resumed`](Self::resumed) from the positions restored for the subtask `ctx`
    /// describes (unchanged on a fresh start).
    pub fn resumed_in(
        self,
        ctx: &weir_core::graph::factory::BuildContext,
    ) -> Result<Self, OperatorError> {
        let restored = weir_core::runtime::source::restored_positions(ctx, "Nexmark generator")?;
        if restored.is_empty() {
            Ok(self)
        } else {
            self.resumed(&restored)
        }
    }
}

impl Source<Event> for GeneratorSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, Event>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let n = match self.walk.allowance(max) {
            Ok(n) => n,
            Err(due) => return Ok(SourceStatus::IdleUntil(due)),
        };
        for _ in 0..n {
            let Some(id) = self.walk.take() else { break };
            if !self.kinds.contains(event_kind(id)) {
                continue;
            }
            let ev = event(id, &self.walk.cfg);
            let ts = ev.date_time();
            ctx.collect_with_timestamp(ev, ts)?;
        }
        Ok(self.walk.status())
    }
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        Some(self.position().encode())
    }
}

/// Only the bids of a run of ids: persons and auctions are skipped by their id alone,
/// without being generated. The rate limit counts every id, bid or not.
pub struct BidGeneratorSource {
    walk: IdWalk,
    /// The bid being emitted, overwritten for each (its strings keep their capacity).
    bid: Bid,
}

impl BidGeneratorSource {
    /// Subtask `subtask` of `parallelism` over `ids` (see [`GeneratorSource::new`]).
    pub fn new(
        cfg: GeneratorConfig,
        ids: Range<u64>,
        subtask: usize,
        parallelism: usize,
        rate_limit: Option<(f64, SharedClock)>,
    ) -> Result<Self, OperatorError> {
        let walk = IdWalk::new(cfg, ids, subtask, parallelism, rate_limit)?;
        Ok(Self {
            walk,
            bid: Bid::default(),
        })
    }
}

impl Source<Bid> for BidGeneratorSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, Bid>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let n = match self.walk.allowance(max) {
            Ok(n) => n,
            Err(due) => return Ok(SourceStatus::IdleUntil(due)),
        };
        for _ in 0..n {
            let Some(id) = self.walk.take() else { break };
            if bid_event_into(id, &self.walk.cfg, &mut self.bid) {
                ctx.collect_ref_with_timestamp(&self.bid, self.bid.date_time)?;
            }
        }
        Ok(self.walk.status())
    }
}

/// Parses Nexmark CSV lines of the kinds in its set into [`Event`]s, stamped with their
/// `dateTime`; lines of other kinds are dropped after their first column (`Ok(None)`),
/// without being parsed or checked.
#[derive(Debug, Clone, Copy)]
pub struct EventCsvParser(pub EventKinds);

impl Default for EventCsvParser {
    fn default() -> Self {
        EventCsvParser(EventKinds::ALL)
    }
}

impl LineParser<Event> for EventCsvParser {
    fn parse(&mut self, line: &[u8]) -> Result<Option<Event>, String> {
        let kind = match line {
            [b'0', b',', ..] => Some(EventKind::Person),
            [b'1', b',', ..] => Some(EventKind::Auction),
            [b'2', b',', ..] => Some(EventKind::Bid),
            _ => None,
        };
        if kind.is_some_and(|k| !self.0.contains(k)) {
            return Ok(None);
        }
        parse_event(line).map(Some).map_err(|e| e.to_string())
    }
    fn timestamp(&self, value: &Event) -> i64 {
        value.date_time()
    }
}

/// Parses only the bid lines of a Nexmark CSV file; person and auction lines are
/// dropped after their first column (`Ok(None)`), without being parsed or checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct BidCsvParser;

impl LineParser<Bid> for BidCsvParser {
    #[inline]
    fn parse(&mut self, line: &[u8]) -> Result<Option<Bid>, String> {
        // Persons and auctions by their first byte, before any other work.
        if let [b'0' | b'1', b',', ..] = line {
            return Ok(None);
        }
        if let Some(bid) = fast_bid(line) {
            return Ok(Some(bid));
        }
        // Anything unusual (an error, more than 18 digits, non-ASCII text, a line end
        // left on the line) takes the general parser, which also words the error.
        match parse_bid_borrowed(line) {
            Ok(bid) => Ok(bid.map(|b| b.to_bid())),
            Err(e) => Err(e.to_string()),
        }
    }
    #[inline]
    fn timestamp(&self, value: &Bid) -> i64 {
        value.date_time
    }
}

/// Parses the bid lines of a Nexmark CSV file into [`QueryBid`]s: the columns q0–q2 read.
/// Every column is still checked (a malformed line is an error, as with [`BidCsvParser`]);
/// `channel` and `url` are just not copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryBidCsvParser;

impl LineParser<QueryBid> for QueryBidCsvParser {
    #[inline]
    fn parse(&mut self, line: &[u8]) -> Result<Option<QueryBid>, String> {
        if let [b'0' | b'1', b',', ..] = line {
            return Ok(None);
        }
        if let Some((bid, _)) = fast_query_bid_at(line) {
            return Ok(Some(bid));
        }
        match parse_bid_borrowed(line) {
            Ok(bid) => Ok(bid.map(|b| QueryBid::from(b.to_bid()))),
            Err(e) => Err(e.to_string()),
        }
    }
    #[inline]
    fn timestamp(&self, value: &QueryBid) -> i64 {
        value.date_time
    }
    #[inline]
    fn parse_at(&mut self, data: &[u8]) -> Option<(Option<QueryBid>, usize)> {
        fast_query_bid_at(data).map(|(bid, len)| (Some(bid), len))
    }
}

/// A usual bid line at the start of `data`, and its length up to its `\n` (or the end of
/// the data): the line end need not be known beforehand, so it serves both a single line
/// and the rest of a file. `None` for anything else, which [`parse_bid_borrowed`] then
/// decides; on the lines it accepts it agrees with that parser.
#[inline]
fn fast_query_bid_at(data: &[u8]) -> Option<(QueryBid, usize)> {
    let rest = data.strip_prefix(b"2,")?;
    let mut pos = 0;
    let auction = fast_int(rest, &mut pos)?;
    let bidder = fast_int(rest, &mut pos)?;
    let price = fast_int(rest, &mut pos)?;
    // `channel` and `url`: ASCII with no line end inside (the data runs on past this
    // line), skipped a word at a time.
    skip_ascii_fields(rest, &mut pos, 2)?;
    let date_time = fast_int(rest, &mut pos)?;
    // `extra` runs to the line end; a comma, a `\r` or non-ASCII text leave the fast path.
    let start = pos;
    loop {
        match rest.get(pos) {
            None | Some(b'\n') => break,
            Some(b',' | b'\r') => return None,
            Some(b) if !b.is_ascii() => return None,
            Some(_) => pos += 1,
        }
    }
    let extra = ascii_str(&rest[start..pos]).to_owned();
    Some((
        QueryBid {
            auction,
            bidder,
            price,
            date_time,
            extra,
        },
        2 + pos,
    ))
}

/// A bid line of the usual shape in one pass: `2,` then integers of at most 18 digits
/// and ASCII text. `None` for anything else, which [`parse_bid_borrowed`] then decides;
/// on the lines it accepts it agrees with that parser.
#[inline]
fn fast_bid(line: &[u8]) -> Option<Bid> {
    let rest = line.strip_prefix(b"2,")?;
    let mut pos = 0;
    let auction = fast_int(rest, &mut pos)?;
    let bidder = fast_int(rest, &mut pos)?;
    let price = fast_int(rest, &mut pos)?;
    let channel = fast_text(rest, &mut pos)?;
    let url = fast_text(rest, &mut pos)?;
    let date_time = fast_int(rest, &mut pos)?;
    let extra = &rest[pos..];
    if memchr::memchr3(b',', b'\r', b'\n', extra).is_some() || !extra.is_ascii() {
        return None;
    }
    Some(Bid {
        auction,
        bidder,
        price,
        channel: channel.to_owned(),
        url: url.to_owned(),
        date_time,
        extra: ascii_str(extra).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::{write_event_csv, Generator};
    use std::cell::RefCell;
    use std::rc::Rc;
    use weir_core::operator::{OpResult, Output};
    use weir_core::record::{Data, Record};
    use weir_core::runtime::clock::ManualClock;
    use weir_core::runtime::source::{SourceDriver, TypedSourceDriver};
    use weir_core::time::WatermarkStatus;

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_bid_agrees_with_the_general_parser(
            line in "2,-?[0-9]{1,5},[0-9]{1,5},-?[0-9]{1,9},[a-z\u{e9}\r,]{0,6},[a-z/:\n]{0,10},[0-9]{1,13},[a-z,\r\n]{0,3}",
        ) {
            if let Some(fast) = fast_bid(line.as_bytes()) {
                let general = parse_bid_borrowed(line.as_bytes()).ok().flatten().map(|b| b.to_bid());
                prop_assert_eq!(general, Some(fast));
            }
        }

        #[test]
        fn parse_at_agrees_with_parse_on_the_line(
            line in "2,-?[0-9]{1,5},[0-9]{1,5},-?[0-9]{1,9},[a-z\r,]{0,6},[a-z/:\n]{0,10},[0-9]{1,13},[a-z,\r\n]{0,3}",
            next in "(2,1,2,3,a,b,4,)?",
        ) {
            let data = format!("{line}\n{next}");
            let mut p = QueryBidCsvParser;
            if let Some((value, len)) = p.parse_at(data.as_bytes()) {
                let end = data.find('\n').unwrap_or(data.len());
                prop_assert_eq!(len, end, "the fast path ends where the line ends");
                prop_assert_eq!(Ok(value), p.parse(&data.as_bytes()[..end]));
            }
        }
    }

    struct Sink<T>(Rc<RefCell<Vec<(T, i64)>>>);

    impl<T: Data> Output<T> for Sink<T> {
        fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
            self.0.borrow_mut().push((record.into_owned()?, timestamp));
            Ok(())
        }
        fn emit_watermark(&mut self, _watermark: i64) -> OpResult {
            Ok(())
        }
        fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
            Ok(())
        }
        fn finish(&mut self) -> OpResult {
            Ok(())
        }
        fn checkpoint(
            &mut self,
            _call: &mut weir_core::operator::CheckpointCall<'_>,
        ) -> weir_core::operator::OpResult {
            Ok(())
        }
    }

    fn drain<T: Data>(source: impl Source<T>) -> Vec<(T, i64)> {
        let out = Rc::new(RefCell::new(Vec::new()));
        let mut d = TypedSourceDriver::new(Box::new(source), Box::new(Sink(out.clone())));
        while d.run_batch(100).unwrap() != SourceStatus::Finished {}
        let v = out.borrow().clone();
        v
    }

    #[test]
    fn subtasks_interleave_to_the_whole_run() {
        let cfg = GeneratorConfig::default();
        let want: Vec<Event> = Generator::new(cfg, 10..1010, 1).unwrap().events().collect();
        let parts: Vec<Vec<(Event, i64)>> = (0..3)
            .map(|i| drain(GeneratorSource::new(cfg, 10..1010, i, 3, None).unwrap()))
            .collect();
        let mut got = Vec::new();
        for k in 0..want.len() {
            let (ev, ts) = parts[k % 3][k / 3].clone();
            assert_eq!(ts, ev.date_time());
            got.push(ev);
        }
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), want.len());
        assert_eq!(got, want);
    }

    /// Lets a test read the position of a generator its driver owns.
    struct Shared(Rc<RefCell<GeneratorSource>>);

    impl Source<Event> for Shared {
        fn run_batch(
            &mut self,
            ctx: &mut SourceContext<'_, Event>,
            max: usize,
        ) -> Result<SourceStatus, OperatorError> {
            self.0.borrow_mut().run_batch(ctx, max)
        }
    }

    /// Runs `source` for `batches` batches of 7 (to its end if `None`); what it emitted
    /// (each event as text) and where it stopped.
    fn run_ids(
        source: GeneratorSource,
        batches: Option<usize>,
    ) -> (Vec<String>, RoundRobinProgress) {
        let out = Rc::new(RefCell::new(Vec::new()));
        let shared = Rc::new(RefCell::new(source));
        let mut d = TypedSourceDriver::new(
            Box::new(Shared(shared.clone())),
            Box::new(Sink(out.clone())),
        );
        let mut left = batches;
        while left != Some(0) {
            left = left.map(|b| b - 1);
            if d.run_batch(7).unwrap() == SourceStatus::Finished {
                break;
            }
        }
        let got = out
            .borrow()
            .iter()
            .map(|(e, _): &(Event, i64)| format!("{e:?}"))
            .collect();
        let position = shared.borrow().position();
        (got, position)
    }

    proptest! {
        /// A generator stopped anywhere and resumed at any parallelism generates every
        /// event of the run once in all.
        #[test]
        fn a_generator_resumed_at_any_parallelism_generates_each_event_once(
            n in 1usize..4,
            m in 1usize..4,
            cuts in prop::collection::vec(0usize..10, 3),
        ) {
            let cfg = GeneratorConfig::default();
            let ids = 5..205;
            let mut want: Vec<String> = run_ids(GeneratorSource::new(cfg, ids.clone(), 0, 1, None).unwrap(), None).0;
            let mut all = Vec::new();
            let mut positions = Vec::new();
            for (i, &cut) in cuts.iter().enumerate().take(n) {
                let (got, p) = run_ids(GeneratorSource::new(cfg, ids.clone(), i, n, None).unwrap(), Some(cut));
                all.extend(got);
                positions.push(p);
            }
            for i in 0..m {
                let resumed = GeneratorSource::new(cfg, ids.clone(), i, m, None)
                    .unwrap()
                    .resumed(&positions)
                    .unwrap();
                let (got, p) = run_ids(resumed, None);
                prop_assert_eq!(p.parallelism as usize, m);
                all.extend(got);
            }
            all.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(all, want);
        }
    }

    #[test]
    fn a_generator_of_some_kinds_yields_exactly_those_events() {
        let cfg = GeneratorConfig::default();
        let kinds = EventKinds::of(&[EventKind::Person, EventKind::Auction]);
        let want: Vec<Event> = Generator::new(cfg, 0..500, 1)
            .unwrap()
            .events()
            .filter(|e| !matches!(e, Event::Bid(_)))
            .collect();
        let got: Vec<Event> = drain(
            GeneratorSource::new(cfg, 0..500, 0, 1, None)
                .unwrap()
                .only(kinds),
        )
        .into_iter()
        .map(|(e, _)| e)
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bid_source_yields_exactly_the_bids() {
        let cfg = GeneratorConfig::default();
        let want: Vec<Bid> = Generator::new(cfg, 0..777, 1)
            .unwrap()
            .events()
            .filter_map(|e| match e {
                Event::Bid(b) => Some(b),
                _ => None,
            })
            .collect();
        let mut got: Vec<Bid> = (0..2)
            .flat_map(|i| drain(BidGeneratorSource::new(cfg, 0..777, i, 2, None).unwrap()))
            .map(|(b, _)| b)
            .collect();
        got.sort_by_key(|b| (b.date_time, b.url.clone()));
        let mut want_sorted = want.clone();
        want_sorted.sort_by_key(|b| (b.date_time, b.url.clone()));
        assert_eq!(got, want_sorted);
    }

    #[test]
    fn rate_limit_idles_on_the_task_clock() {
        let clock = ManualClock::new(1_000);
        let limit = Some((1000.0, clock.clone() as SharedClock)); // 1 id per ms overall
        let src = GeneratorSource::new(GeneratorConfig::default(), 0..100, 1, 2, limit).unwrap();
        let out = Rc::new(RefCell::new(Vec::new()));
        let mut d = TypedSourceDriver::new(Box::new(src), Box::new(Sink(out.clone())));
        // At start only id 0 is due, which belongs to subtask 0: id 1 is due at +1 ms.
        assert_eq!(
            d.run_batch(100).unwrap(),
            SourceStatus::IdleUntil(1_001_000)
        );
        clock.set_nanos(1_000 + 10_000_000); // +10 ms: ids up to 10 due; ours 1,3,5,7,9
        assert_eq!(d.run_batch(100).unwrap(), SourceStatus::More);
        assert_eq!(out.borrow().len(), 5);
        assert_eq!(
            d.run_batch(100).unwrap(),
            SourceStatus::IdleUntil(11_001_000)
        );
        clock.set_nanos(1_000_000_000);
        assert_eq!(d.run_batch(100).unwrap(), SourceStatus::Finished);
        assert_eq!(out.borrow().len(), 50);
    }

    #[test]
    fn csv_parsers_read_events_and_only_bids() {
        let events: Vec<Event> = Generator::new(GeneratorConfig::default(), 0..120, 1)
            .unwrap()
            .events()
            .collect();
        let mut bids = 0;
        for ev in &events {
            let mut line = Vec::new();
            write_event_csv(ev, &mut line);
            let line = &line[..line.len() - 1];
            let parsed = EventCsvParser::default().parse(line).unwrap().unwrap();
            assert_eq!(&parsed, ev);
            assert_eq!(EventCsvParser::default().timestamp(&parsed), ev.date_time());
            // A parser of persons only drops the other kinds unread.
            let mut persons = EventCsvParser(EventKinds::of(&[EventKind::Person]));
            let kept = persons.parse(line).unwrap();
            assert_eq!(kept.is_some(), matches!(ev, Event::Person(_)));
            match (ev, BidCsvParser.parse(line).unwrap()) {
                (Event::Bid(b), Some(got)) => {
                    assert_eq!(&got, b);
                    assert_eq!(BidCsvParser.timestamp(&got), b.date_time);
                    bids += 1;
                }
                (Event::Bid(_), None) => panic!("bid dropped"),
                (_, got) => assert_eq!(got, None),
            }
        }
        assert_eq!(bids, 2 * 46 + 16);
        // The one-pass path agrees with the general parser, also on odd lines.
        let odd: [&[u8]; 12] = [
            b"2,1,2,3,c,u,5,",
            b"2,-1,-0,3,c,u,-5,x",
            b"2,1234567890123456789,2,3,c,u,5,",
            b"2,1,2,3,\xc3\xa9,u,5,",
            b"2,1,2,3,c,u,5,,",
            b"2,1,2,3,c,u,5",
            b"2,1,2,+3,c,u,5,",
            b"2,1,2,-,c,u,5,",
            b"2,1,2,3,c,u,5,\r",
            b"2,,2,3,c,u,5,",
            b"2,1,2,3,c,u,5,\xff",
            b"2,9223372036854775807,-9223372036854775808,3,c,u,5,",
        ];
        for line in odd {
            let want = parse_bid_borrowed(line).map(|b| b.map(|b| b.to_bid()));
            match (BidCsvParser.parse(line), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{line:?}"),
                (Err(_), Err(_)) => {}
                (got, want) => panic!("{line:?}: {got:?} vs {want:?}"),
            }
        }
        let err = BidCsvParser.parse(b"2,1,2,x,c,u,5,").unwrap_err();
        assert!(err.contains("price"), "{err}");
        assert!(BidCsvParser.parse(b"7,1").is_err());
        assert!(EventCsvParser::default().parse(b"").is_err());
    }
}
