use std::path::Path;

use super::*;
use crate::job::spec::JobSpec;

const HEAD: &str =
    "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"print\"\n";

fn parse_step(step: &str) -> Result<StepKind, String> {
    let text = format!("{HEAD}[[step]]\nname = \"w\"\n{step}");
    JobSpec::parse(Path::new("job.toml"), &text)
        .map(|s| s.steps[0].kind.clone())
        .map_err(|e| e.to_string())
}

#[test]
fn window_steps_parse() {
    let kind = parse_step(
        "type = \"window\"\nkey = [\"auction\"]\nwindow = \"hop\"\nsize = \"10 s\"\nslide = \"2 s\"\naggregates = [\"count(*) AS num\", \"max(price)\", \"avg(price) as mean\", \"first(`bidder`)\"]\n",
    )
    .unwrap();
    let StepKind::Window(w) = kind else {
        panic!("{kind:?}")
    };
    assert_eq!(w.kind, WindowKind::Hop);
    assert_eq!(w.size, Some(Duration::from_secs(10)));
    assert_eq!(w.slide, Some(Duration::from_secs(2)));
    assert!(!w.processing_time);
    assert_eq!(w.keys[0].text, "auction");
    let names: Vec<&str> = w.aggregates.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["num", "max_price", "mean", "first_bidder"]);
    assert_eq!(w.aggregates[0].function, AggFn::Count);
    assert!(w.aggregates[0].column.is_none());
    assert_eq!(w.aggregates[1].text.line, 14);
    let cols: Vec<&str> = w.window_columns.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(cols, ["window_start", "window_end"]);

    let StepKind::Window(w) = parse_step(
        "type = \"window\"\nwindow = \"count\"\nsize = 5\nslide = 2\nkeep = \"max(price)\"\n",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!((w.rows, w.every), (Some(5), Some(2)));
    assert!(w.window_columns.is_empty());
    assert_eq!(
        w.keep.as_ref().map(|k| (k.max, k.column.text.as_str())),
        Some((true, "price"))
    );

    let StepKind::Window(w) = parse_step(
        "type = \"window\"\nwindow = \"session\"\ngap = 500\ntime = \"processing\"\nwindow-columns = []\n",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(w.gap, Some(Duration::from_millis(500)));
    assert!(w.processing_time && w.window_columns.is_empty() && w.aggregates.is_empty());
}

#[test]
fn join_steps_parse() {
    let StepKind::IntervalJoin(j) = parse_step(
        "type = \"interval_join\"\nwith = \"other\"\nkey = \"a\"\nbetween = [\"-2 s\", 1500]\nupper-exclusive = true\n",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!((j.lower, j.upper), (-2000, 1500));
    assert!(j.upper_exclusive && !j.lower_exclusive);
    assert_eq!(j.with_keys[0].text, "a");
    let StepKind::WindowJoin(j) = parse_step(
        "type = \"window_join\"\nwith = \"other\"\nkey = [\"a\", \"b\"]\nwith-key = [\"c\", \"d\"]\nwindow = \"hop\"\nsize = \"10 s\"\nslide = \"5 s\"\n",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(j.kind, WindowKind::Hop);
    assert_eq!(j.with_keys[1].text, "d");
    assert_eq!(j.slide, Some(Duration::from_secs(5)));
}

#[test]
fn window_and_join_errors_name_step_and_line() {
    let cases: &[(&str, &str)] = &[
        ("type = \"window\"\nwindow = \"tumbel\"\nsize = \"1 s\"\n", "job.toml:10: step \"w\", key 'window': unknown window 'tumbel' (one of: tumble, hop, session, count); did you mean 'tumble'?"),
        ("type = \"window\"\nwindow = \"hop\"\nsize = \"1 s\"\n", "job.toml:7: step \"w\": missing key 'slide'"),
        ("type = \"window\"\nwindow = \"session\"\n", "job.toml:7: step \"w\": missing key 'gap'"),
        ("type = \"window\"\nwindow = \"tumble\"\n", "job.toml:7: step \"w\": missing key 'size'"),
        ("type = \"window\"\nwindow = \"count\"\nsize = 0\n", "job.toml:11: step \"w\", key 'size': a count window needs at least 1 row"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\naggregates = [\"cout(*)\"]\n", "job.toml:12: step \"w\": unknown aggregate function 'cout' (one of: count, sum, min, max, avg, first, last); did you mean 'count'?"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\naggregates = [\"sum(*)\"]\n", "job.toml:12: step \"w\": 'sum(*)': only count takes '*'"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\nkeep = \"top(x)\"\n", "job.toml:12: step \"w\": 'top(x)' is not a keep rule"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\nkeep = \"max(x)\"\naggregates = [\"count(*)\"]\n", "job.toml:7: step \"w\": 'keep' and 'aggregates' exclude each other"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\ntime = \"wall\"\n", "job.toml:12: step \"w\", key 'time': 'wall' is not a time (event or processing)"),
        ("type = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\ngapp = 1\n", "job.toml:12: step \"w\": unknown key 'gapp'; did you mean 'gap'?"),
        ("type = \"interval_join\"\nwith = \"x\"\nkey = \"a\"\nbetween = [\"2 s\", \"-2 s\"]\n", "job.toml:12: step \"w\", key 'between': the lower bound (2000 ms) is above the upper bound (-2000 ms)"),
        ("type = \"interval_join\"\nwith = \"x\"\nkey = \"a\"\n", "job.toml:7: step \"w\": missing key 'between'"),
        ("type = \"interval_join\"\nkey = \"a\"\nbetween = [0, 0]\n", "job.toml:7: step \"w\": missing key 'with'"),
        ("type = \"window_join\"\nwith = \"x\"\nkey = \"a\"\nwith-key = [\"b\", \"c\"]\nwindow = \"tumble\"\nsize = 1\n", "job.toml:7: step \"w\": 'key' has 1 columns but 'with-key' has 2"),
        ("type = \"window_join\"\nwith = \"x\"\nkey = \"a\"\nwindow = \"session\"\nsize = 1\n", "job.toml:12: step \"w\", key 'window': unknown window 'session' (one of: tumble, hop)"),
    ];
    for (step, want) in cases {
        let got = parse_step(step).unwrap_err();
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}
