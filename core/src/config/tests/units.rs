//! Parsing and formatting of durations, memory sizes and buffer timeouts.

use std::time::Duration;

use crate::config::units::*;

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

#[test]
fn durations_parse_like_flink() {
    assert_eq!(parse_duration("0"), ms(0));
    assert_eq!(parse_duration("5ms"), ms(5));
    assert_eq!(parse_duration("5 ms"), ms(5));
    assert_eq!(parse_duration("  5 ms  "), ms(5));
    assert_eq!(parse_duration("5"), ms(5));
    assert_eq!(parse_duration("5 MS"), ms(5));
    assert_eq!(parse_duration("7 millis"), ms(7));
    assert_eq!(parse_duration("1s"), ms(1000));
    assert_eq!(parse_duration("3 seconds"), ms(3000));
    assert_eq!(parse_duration("2 sec"), ms(2000));
    assert_eq!(parse_duration("1 min"), ms(60_000));
    assert_eq!(parse_duration("2 minutes"), ms(120_000));
    assert_eq!(parse_duration("2 h"), ms(7_200_000));
    assert_eq!(parse_duration("1 d"), ms(86_400_000));
    assert_eq!(parse_duration("1 day"), ms(86_400_000));
    let micros = Some(Duration::from_micros(100));
    assert_eq!(parse_duration("100 us"), micros);
    assert_eq!(parse_duration("100us"), micros);
    assert_eq!(parse_duration("100 µs"), micros);
    assert_eq!(parse_duration("100 μs"), micros);
    assert_eq!(parse_duration("100 micros"), micros);
    assert_eq!(parse_duration("10 ns"), Some(Duration::from_nanos(10)));
    assert_eq!(
        parse_duration("10 nanoseconds"),
        Some(Duration::from_nanos(10))
    );
}

#[test]
fn bad_durations_are_rejected() {
    for bad in [
        "",
        "ms",
        "fast",
        "-5 ms",
        "1.5 s",
        "5 fortnights",
        "5 m",
        "1 s 5 ms",
        "99999999999999999999",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
    // 2^64 - 1 days overflow a Duration's seconds.
    assert_eq!(parse_duration("18446744073709551615 d"), None);
}

#[test]
fn durations_format_with_the_largest_exact_unit() {
    assert_eq!(format_duration(Duration::ZERO), "0 ms");
    assert_eq!(format_duration(Duration::from_millis(100)), "100 ms");
    assert_eq!(format_duration(Duration::from_millis(1500)), "1500 ms");
    assert_eq!(format_duration(Duration::from_secs(90)), "90 s");
    assert_eq!(format_duration(Duration::from_secs(60)), "1 min");
    assert_eq!(format_duration(Duration::from_micros(50)), "50 µs");
    assert_eq!(format_duration(Duration::from_nanos(7)), "7 ns");
    assert_eq!(format_duration(Duration::from_secs(172_800)), "2 d");
}

#[test]
fn memory_sizes_parse_like_flink() {
    let kb = |n: u64| Some(MemorySize::from_kibibytes(n));
    assert_eq!(parse_memory_size("32kb"), kb(32));
    assert_eq!(parse_memory_size("32 kb"), kb(32));
    assert_eq!(parse_memory_size("32 KB"), kb(32));
    assert_eq!(parse_memory_size("32768"), kb(32));
    assert_eq!(parse_memory_size("32 k"), kb(32));
    assert_eq!(parse_memory_size("32 kibibytes"), kb(32));
    assert_eq!(parse_memory_size("1mb"), kb(1024));
    assert_eq!(
        parse_memory_size("64 mb"),
        Some(MemorySize::from_mebibytes(64))
    );
    assert_eq!(
        parse_memory_size("2 m"),
        Some(MemorySize::from_mebibytes(2))
    );
    assert_eq!(
        parse_memory_size("2 mebibytes"),
        Some(MemorySize::from_mebibytes(2))
    );
    assert_eq!(
        parse_memory_size("1 gb"),
        Some(MemorySize::from_bytes(1 << 30))
    );
    assert_eq!(
        parse_memory_size("1g"),
        Some(MemorySize::from_bytes(1 << 30))
    );
    assert_eq!(
        parse_memory_size("1 gibibytes"),
        Some(MemorySize::from_bytes(1 << 30))
    );
    assert_eq!(
        parse_memory_size("1 tb"),
        Some(MemorySize::from_bytes(1 << 40))
    );
    assert_eq!(
        parse_memory_size("512 b"),
        Some(MemorySize::from_bytes(512))
    );
    assert_eq!(
        parse_memory_size("512 bytes"),
        Some(MemorySize::from_bytes(512))
    );
    assert_eq!(parse_memory_size("0"), Some(MemorySize::ZERO));
}

#[test]
fn bad_memory_sizes_are_rejected() {
    for bad in [
        "",
        "kb",
        "-1",
        "1.5 mb",
        "32 kilobytes",
        "32 kib",
        "99999999999 tb",
        "99999999999999999999",
    ] {
        assert_eq!(parse_memory_size(bad), None, "{bad:?}");
    }
    assert_eq!(
        "lots".parse::<MemorySize>().unwrap_err().to_string(),
        "'lots' is not a valid memory size"
    );
}

#[test]
fn memory_sizes_format_like_flink() {
    assert_eq!(MemorySize::from_kibibytes(32).to_string(), "32 kb");
    assert_eq!(MemorySize::from_mebibytes(64).to_string(), "64 mb");
    assert_eq!(MemorySize::from_bytes(1 << 30).to_string(), "1 gb");
    assert_eq!(MemorySize::from_bytes(300).to_string(), "300 bytes");
    assert_eq!(MemorySize::from_bytes(1536).to_string(), "1536 bytes");
    assert_eq!(MemorySize::ZERO.to_string(), "0 bytes");
    assert_eq!(
        "32 kb".parse::<MemorySize>(),
        Ok(MemorySize::from_bytes(32768))
    );
}

#[test]
fn buffer_timeouts_parse() {
    use BufferTimeout::{Disabled, Interval};
    assert_eq!(parse_buffer_timeout("-1"), Some(Disabled));
    assert_eq!(parse_buffer_timeout("-1 ms"), Some(Disabled));
    assert_eq!(parse_buffer_timeout("-1ms"), Some(Disabled));
    assert_eq!(parse_buffer_timeout("off"), Some(Disabled));
    assert_eq!(parse_buffer_timeout("OFF"), Some(Disabled));
    assert_eq!(parse_buffer_timeout(" disabled "), Some(Disabled));
    assert_eq!(parse_buffer_timeout("0"), Some(Interval(Duration::ZERO)));
    assert_eq!(
        parse_buffer_timeout("100"),
        Some(Interval(Duration::from_millis(100)))
    );
    assert_eq!(
        parse_buffer_timeout("5 ms"),
        Some(Interval(Duration::from_millis(5)))
    );
    for bad in ["-2", "-10", "-5 ms", "-1 fortnight", "-", "fast", "on", ""] {
        assert_eq!(parse_buffer_timeout(bad), None, "{bad:?}");
    }
    assert_eq!(
        BufferTimeout::default(),
        Interval(Duration::from_millis(100))
    );
    assert_eq!(Disabled.to_string(), "off");
    assert_eq!(BufferTimeout::default().to_string(), "100 ms");
    assert_eq!(Disabled.interval(), None);
    assert_eq!("off".parse::<BufferTimeout>(), Ok(Disabled));
    assert!("fast".parse::<BufferTimeout>().is_err());
}
