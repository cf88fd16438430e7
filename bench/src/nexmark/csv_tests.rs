use proptest::prelude::*;

use super::*;
use crate::nexmark::generator::{event, GeneratorConfig};

const BID: &str = "2,1000,1001,1648,Google,https://www.nexmark.com/kusod/item.htm?query=1&channel_id=6548,1436918400004,";
const PERSON: &str =
    "0,1000,Walter Abrams,mrqxila@tsrdr.com,4907 3925 4902 7092,Portland,OR,1436918400000,";
const AUCTION: &str =
    "1,1000,zioveuecve,ytbdqejalngktmrymzrg,14419,215308,1436918400001,1436918425001,1000,10,";

fn err(line: &[u8]) -> CsvError {
    parse_event(line).expect_err("line should be rejected")
}

#[test]
fn write_i64_matches_to_string() {
    let edge = [
        0,
        1,
        -1,
        9,
        10,
        99,
        100,
        101,
        -100,
        999_999,
        1_000_000,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
    ];
    for v in edge {
        let mut out = Vec::new();
        write_i64(&mut out, v);
        assert_eq!(out, v.to_string().as_bytes());
    }
}

#[test]
fn parse_i64_accepts_and_rejects() {
    assert_eq!(parse_i64(b"0"), Ok(0));
    assert_eq!(parse_i64(b"-0"), Ok(0));
    assert_eq!(parse_i64(b"007"), Ok(7));
    assert_eq!(parse_i64(b"-42"), Ok(-42));
    assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
    assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
    assert_eq!(
        parse_i64(b"999999999999999999"),
        Ok(999_999_999_999_999_999)
    );
    assert_eq!(parse_i64(b""), Err(IntErrorKind::Empty));
    assert_eq!(parse_i64(b"-"), Err(IntErrorKind::Empty));
    assert_eq!(parse_i64(b"+1"), Err(IntErrorKind::InvalidDigit));
    assert_eq!(parse_i64(b"1a"), Err(IntErrorKind::InvalidDigit));
    assert_eq!(parse_i64(b" 1"), Err(IntErrorKind::InvalidDigit));
    assert_eq!(parse_i64(b"--1"), Err(IntErrorKind::InvalidDigit));
    assert_eq!(
        parse_i64(b"12345678901234567890x"),
        Err(IntErrorKind::Overflow)
    );
    assert_eq!(
        parse_i64(b"1234567890123456789x"),
        Err(IntErrorKind::InvalidDigit)
    );
    assert_eq!(
        parse_i64(b"9223372036854775808"),
        Err(IntErrorKind::Overflow)
    );
    assert_eq!(
        parse_i64(b"-9223372036854775809"),
        Err(IntErrorKind::Overflow)
    );
    assert_eq!(
        parse_i64(b"99999999999999999999"),
        Err(IntErrorKind::Overflow)
    );
}

#[test]
fn parses_each_kind_and_trailing_cr() {
    for line in [PERSON, AUCTION, BID] {
        let ev = parse_event(line.as_bytes()).unwrap();
        let mut out = Vec::new();
        write_event_csv(&ev, &mut out);
        assert_eq!(out, format!("{line}\n").as_bytes());
        assert_eq!(parse_event(format!("{line}\r").as_bytes()), Ok(ev.clone()));
        assert_eq!(
            parse_event(format!("{line}\r\n").as_bytes()),
            Ok(ev.clone())
        );
        assert_eq!(parse_kind(line.as_bytes()), Ok(ev.kind()));
    }
    let with_cr = format!("{BID}\r");
    let bid = parse_bid_borrowed(with_cr.as_bytes()).unwrap().unwrap();
    assert_eq!(
        (bid.auction, bid.price, bid.channel),
        (1000, 1648, "Google")
    );
    assert_eq!(bid.extra, "");
}

#[test]
fn error_unknown_kind() {
    for line in ["", "3,1", "x", "00,1", "2x,1", ",1000"] {
        let e = err(line.as_bytes());
        assert_eq!((e.column, e.column_name), (1, "kind"), "{line:?}");
        assert_eq!(e.reason, CsvErrorReason::UnknownKind);
        assert_eq!(parse_bid_borrowed(line.as_bytes()), Err(e));
        assert!(e
            .to_string()
            .starts_with("column 1 (kind): unknown event kind"));
    }
}

#[test]
fn error_too_few_columns() {
    let e = err(b"2,1000,1001,1648");
    assert_eq!((e.column, e.column_name), (5, "channel"));
    assert_eq!(
        e.reason,
        CsvErrorReason::TooFewColumns {
            kind: EventKind::Bid
        }
    );
    assert_eq!(
        e.to_string(),
        "column 5 (channel): too few columns: a bid line has 8"
    );
    assert_eq!(parse_bid_borrowed(b"2,1000,1001,1648"), Err(e));
    let e = err(b"0");
    assert_eq!((e.column, e.column_name), (2, "id"));
    let e = err(b"1,1000,a,b,1,2,3,4,5,10");
    assert_eq!((e.column, e.column_name), (11, "extra"));
    assert!(e.to_string().contains("too few columns: an") || e.to_string().contains("a auction"));
}

#[test]
fn error_too_many_columns() {
    let line = format!("{BID},surplus");
    let e = err(line.as_bytes());
    assert_eq!((e.column, e.column_name), (9, "extra"));
    assert_eq!(
        e.reason,
        CsvErrorReason::TooManyColumns {
            kind: EventKind::Bid
        }
    );
    assert_eq!(
        e.to_string(),
        "column 9 (after extra): too many columns: a bid line has 8"
    );
    assert_eq!(parse_bid_borrowed(line.as_bytes()), Err(e));
    let e = err(format!("{PERSON},").as_bytes());
    assert_eq!((e.column, e.column_name), (10, "extra"));
}

#[test]
fn error_not_an_integer() {
    let line = BID.replace(",1648,", ",16x8,");
    let e = err(line.as_bytes());
    assert_eq!((e.column, e.column_name), (4, "price"));
    assert_eq!(
        e.reason,
        CsvErrorReason::NotAnInteger(IntErrorKind::InvalidDigit)
    );
    assert_eq!(
        e.to_string(),
        "column 4 (price): not an integer: invalid digit"
    );
    assert_eq!(parse_bid_borrowed(line.as_bytes()), Err(e));
    let e = err(AUCTION.replace(",10,", ",,").as_bytes());
    assert_eq!((e.column, e.column_name), (10, "category"));
    assert_eq!(e.reason, CsvErrorReason::NotAnInteger(IntErrorKind::Empty));
    let e = err(PERSON
        .replace("1436918400000", "99999999999999999999")
        .as_bytes());
    assert_eq!((e.column, e.column_name), (8, "dateTime"));
    assert!(e.to_string().contains("out of the i64 range"));
}

#[test]
fn error_invalid_utf8() {
    let mut line = BID.as_bytes().to_vec();
    let at = BID.find("kusod").unwrap();
    line[at] = 0xff;
    let e = err(&line);
    assert_eq!((e.column, e.column_name), (6, "url"));
    assert_eq!(e.reason, CsvErrorReason::InvalidUtf8);
    assert_eq!(e.to_string(), "column 6 (url): invalid UTF-8");
    assert_eq!(parse_bid_borrowed(&line), Err(e));
    let mut line = PERSON.as_bytes().to_vec();
    line[10] = 0xc3; // inside the name, a lone lead byte
    let e = err(&line);
    assert_eq!((e.column, e.column_name), (3, "name"));
}

#[test]
fn borrowed_bid_parser_skips_other_kinds_unparsed() {
    assert_eq!(parse_bid_borrowed(PERSON.as_bytes()), Ok(None));
    assert_eq!(parse_bid_borrowed(AUCTION.as_bytes()), Ok(None));
    // Only the kind is looked at for persons and auctions.
    assert_eq!(parse_bid_borrowed(b"0,not,checked"), Ok(None));
    assert_eq!(parse_bid_borrowed(b"1"), Ok(None));
    let bid = parse_bid_borrowed(BID.as_bytes()).unwrap().unwrap();
    assert_eq!(
        Event::Bid(bid.to_bid()),
        parse_event(BID.as_bytes()).unwrap()
    );
}

#[test]
fn generated_events_round_trip() {
    let cfg = GeneratorConfig {
        seed: 5,
        rate: 7,
        max_delay_ms: 100_000,
    };
    let mut out = Vec::new();
    for id in 0..2000 {
        let ev = event(id, &cfg);
        out.clear();
        write_event_csv(&ev, &mut out);
        assert_eq!(parse_event(&out), Ok(ev));
    }
}

proptest! {
    #[test]
    fn i64_write_parse_round_trip(v in any::<i64>()) {
        let mut out = Vec::new();
        write_i64(&mut out, v);
        let want = v.to_string();
        prop_assert_eq!(&out, want.as_bytes());
        prop_assert_eq!(parse_i64(&out), Ok(v));
    }

    #[test]
    fn parse_i64_agrees_with_std(s in "-?[0-9]{0,21}|[ -~]{0,6}") {
        let ours = parse_i64(s.as_bytes()).ok();
        let std = if s.starts_with('+') { None } else { s.parse::<i64>().ok() };
        prop_assert_eq!(ours, std);
    }

    #[test]
    fn arbitrary_bids_round_trip(
        auction in any::<i64>(), bidder in any::<i64>(), price in any::<i64>(),
        channel in "[a-zA-Z0-9 é-]{0,12}", url in "[ -+--~]{0,40}",
        date_time in any::<i64>(), extra in "[a-z]{0,3}",
    ) {
        let ev = Event::Bid(Bid { auction, bidder, price, channel, url, date_time, extra });
        let mut out = Vec::new();
        write_event_csv(&ev, &mut out);
        prop_assert_eq!(parse_event(&out), Ok(ev));
    }

    #[test]
    fn parse_never_panics(line in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = parse_event(&line);
        let _ = parse_bid_borrowed(&line);
        let mut prefixed = b"2,".to_vec();
        prefixed.extend_from_slice(&line);
        let _ = parse_event(&prefixed);
        let _ = parse_bid_borrowed(&prefixed);
    }
}
