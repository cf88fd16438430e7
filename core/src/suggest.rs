//! "Did you mean …?": the edit distance and nearest-name search shared by every error
//! that names something unknown (configuration keys, columns, job-file keys).

/// Edits between `a` and `b` (insert, delete, substitute, or swap two neighbours), in
/// characters: the optimal-string-alignment distance, so `valeu` is one edit from `value`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic programme: i-2, i-1 and i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `word` if it is close enough to be a likely typo: at most a
/// third of the longer name's characters (and at least one) differ. Ties keep the first.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (word.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits_and_swaps() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("valeu", "value"), 1);
        assert_eq!(edit_distance("price", "price"), 0);
    }

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(
            nearest("paralelism", ["parallelism", "name"]),
            Some("parallelism")
        );
        assert_eq!(nearest("valeu", ["value"]), Some("value"));
        assert_eq!(nearest("zzz", ["parallelism", "name"]), None);
        assert_eq!(nearest("a", ["b"]), Some("b"));
    }
}
