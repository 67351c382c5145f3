//! Built-ins bounded before they allocate, and built-ins refused.
//!
//! Rhai checks a string's or an array's size after a native function has built it, so a few
//! built-ins can allocate far past the limits in one call (`replace` of a long string,
//! `split` at every character). They are replaced by versions that count the result's size
//! first and refuse it over the limit, and otherwise give exactly what Rhai's give (tested
//! against a plain Rhai engine). Built-ins that escape the limits in other ways (`sleep`
//! blocks the thread, `pad` with an empty string never returns) are refused.

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Position};

use super::Limits;

/// Registers the bounded and refused built-ins on `engine`, for `limits`.
pub(super) fn register(engine: &mut rhai::Engine, limits: &Limits) {
    register_refused(engine);
    register_replace(engine, limits.max_string_size);
    register_split(engine, limits.max_array_size);
}

/// Refuses `sleep` and `pad`.
fn register_refused(engine: &mut rhai::Engine) {
    // built-ins that escape the limits: sleep blocks the thread (and panics on huge
    // values), pad with an empty string never returns; checks have no use for them
    fn refused(what: &str) -> Box<EvalAltResult> {
        Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(format!("{what} is not available in checks")),
            Position::NONE,
        ))
    }
    engine.register_fn(
        "sleep",
        |_: rhai::FLOAT| -> Result<(), Box<EvalAltResult>> { Err(refused("sleep")) },
    );
    engine.register_fn("sleep", |_: rhai::INT| -> Result<(), Box<EvalAltResult>> {
        Err(refused("sleep"))
    });
    engine.register_fn(
        "pad",
        |_: &mut ImmutableString,
         _: rhai::INT,
         _: ImmutableString|
         -> Result<(), Box<EvalAltResult>> { Err(refused("pad")) },
    );
    engine.register_fn(
        "pad",
        |_: &mut ImmutableString, _: rhai::INT, _: char| -> Result<(), Box<EvalAltResult>> {
            Err(refused("pad"))
        },
    );
    engine.register_fn(
        "pad",
        |_: &mut Array, _: rhai::INT, _: Dynamic| -> Result<(), Box<EvalAltResult>> {
            Err(refused("pad"))
        },
    );
}

/// `replace`, bounded by `max` bytes.
fn register_replace(engine: &mut rhai::Engine, max: usize) {
    // replace builds its whole result before the engine's size check sees it: a 16 KiB
    // string with every character replaced by 32 KiB asks for 512 MiB, two strings at
    // the limit for a TiB. These overrides compute the result's size first and refuse
    // one over max_string_size without allocating it.
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString,
              find: ImmutableString,
              sub: ImmutableString|
              -> Result<(), Box<EvalAltResult>> { bounded_replace(s, &find, &sub, max) },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString,
              find: ImmutableString,
              sub: char|
              -> Result<(), Box<EvalAltResult>> {
            bounded_replace(s, &find, sub.encode_utf8(&mut [0; 4]), max)
        },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString,
              find: char,
              sub: ImmutableString|
              -> Result<(), Box<EvalAltResult>> {
            bounded_replace(s, find.encode_utf8(&mut [0; 4]), &sub, max)
        },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: char, sub: char| -> Result<(), Box<EvalAltResult>> {
            bounded_replace(
                s,
                find.encode_utf8(&mut [0; 4]),
                sub.encode_utf8(&mut [0; 4]),
                max,
            )
        },
    );
}

/// `split`, `split_rev` and `to_chars`, bounded by `max` items.
fn register_split(engine: &mut rhai::Engine, max: usize) {
    // split, split_rev and to_chars build their whole array (a `Dynamic`, and a string for
    // split, per item) before the engine's size check sees it: an 8 MiB string split at
    // every character took about 540 MB and 2 s in one native call. These overrides count
    // the items first (no further than one past the limit) and refuse more than
    // max_array_size without building the array; otherwise they split exactly as Rhai's.
    engine.register_fn(
        "split",
        move |s: &mut ImmutableString, d: ImmutableString| -> SplitResult {
            bounded_split(s, &d, None, Direction::Forward, max)
        },
    );
    engine.register_fn(
        "split",
        move |s: &mut ImmutableString, d: char| -> SplitResult {
            bounded_split(s, d.encode_utf8(&mut [0; 4]), None, Direction::Forward, max)
        },
    );
    engine.register_fn(
        "split",
        move |s: &mut ImmutableString, d: ImmutableString, n: rhai::INT| -> SplitResult {
            bounded_split(s, &d, Some(n), Direction::Forward, max)
        },
    );
    engine.register_fn(
        "split",
        move |s: &mut ImmutableString, d: char, n: rhai::INT| -> SplitResult {
            bounded_split(
                s,
                d.encode_utf8(&mut [0; 4]),
                Some(n),
                Direction::Forward,
                max,
            )
        },
    );
    engine.register_fn(
        "split_rev",
        move |s: &mut ImmutableString, d: ImmutableString| -> SplitResult {
            bounded_split(s, &d, None, Direction::Reverse, max)
        },
    );
    engine.register_fn(
        "split_rev",
        move |s: &mut ImmutableString, d: char| -> SplitResult {
            bounded_split(s, d.encode_utf8(&mut [0; 4]), None, Direction::Reverse, max)
        },
    );
    engine.register_fn(
        "split_rev",
        move |s: &mut ImmutableString, d: ImmutableString, n: rhai::INT| -> SplitResult {
            bounded_split(s, &d, Some(n), Direction::Reverse, max)
        },
    );
    engine.register_fn(
        "split_rev",
        move |s: &mut ImmutableString, d: char, n: rhai::INT| -> SplitResult {
            bounded_split(
                s,
                d.encode_utf8(&mut [0; 4]),
                Some(n),
                Direction::Reverse,
                max,
            )
        },
    );
    engine.register_fn("split", move |s: &mut ImmutableString| -> SplitResult {
        bounded_split_whitespace(s, max)
    });
    engine.register_fn("to_chars", move |s: ImmutableString| -> SplitResult {
        bounded_to_chars(&s, max)
    });
}

/// `s.replace(find, sub)` as Rhai's built-in does it (in place; an empty `s` stays empty),
/// but refused when the result would be longer than `max` bytes.
/// The size is counted first, in one pass over `s`, so nothing over the limit is allocated.
fn bounded_replace(
    s: &mut ImmutableString,
    find: &str,
    sub: &str,
    max: usize,
) -> Result<(), Box<EvalAltResult>> {
    if s.is_empty() {
        return Ok(());
    }
    // `matches` finds the same non-overlapping occurrences `str::replace` replaces (with an
    // empty `find`, one at every character boundary)
    let count = s.matches(find).count();
    if count == 0 {
        return Ok(());
    }
    let size = (s.len() - count * find.len()).saturating_add(count.saturating_mul(sub.len()));
    if size > max {
        return Err(Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(format!(
                "replace would make a string of {size} bytes ({count} occurrences), over the \
                 string size limit of {max} bytes (max_string_size)"
            )),
            Position::NONE,
        )));
    }
    *s = s.replace(find, sub).into();
    Ok(())
}

type SplitResult = Result<Array, Box<EvalAltResult>>;

/// Which end [`bounded_split`] splits from: `split` or `split_rev`.
#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Reverse,
}

/// The error for an array-building string function whose result would have more than `max`
/// items.
fn too_many_items(what: &str, max: usize) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(format!(
            "{what} would make an array of more than {max} items, over the array size limit \
             of {max} items (max_array_size)"
        )),
        Position::NONE,
    ))
}

/// `s.split(delim)`, `s.split(delim, segments)` (`segments` given) and their `split_rev`
/// forms, as Rhai's built-ins do them (a character delimiter is passed as its UTF-8 string,
/// which matches at the same places), but refused when the array would have more than `max`
/// items. The items are counted first, and no further than one past the limit, so a refused
/// call costs at most `max` searches and allocates nothing.
fn bounded_split(
    s: &ImmutableString,
    delim: &str,
    segments: Option<rhai::INT>,
    direction: Direction,
    max: usize,
) -> SplitResult {
    // Rhai's special cases: the string itself, alone
    if segments.is_some_and(|n| n <= 1) || s.is_empty() || (!delim.is_empty() && !s.contains(delim))
    {
        return Ok(vec![s.clone().into()]);
    }
    let segments = segments.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    // `str::split` yields one item more than there are matches (an empty delimiter matches at
    // every character boundary, both ends included); `splitn` at most `segments`. `rsplit`
    // searches from the end, so count as it does.
    let enough = segments
        .unwrap_or(usize::MAX)
        .min(max.saturating_add(1))
        .saturating_sub(1);
    let matches = match direction {
        Direction::Forward => s.matches(delim).take(enough).count(),
        Direction::Reverse => s.rmatches(delim).take(enough).count(),
    };
    if matches + 1 > max {
        let what = match direction {
            Direction::Forward => "split",
            Direction::Reverse => "split_rev",
        };
        return Err(too_many_items(what, max));
    }
    Ok(match (direction, segments) {
        (Direction::Forward, None) => s.split(delim).map(Into::into).collect(),
        (Direction::Forward, Some(n)) => s.splitn(n, delim).map(Into::into).collect(),
        (Direction::Reverse, None) => s.rsplit(delim).map(Into::into).collect(),
        (Direction::Reverse, Some(n)) => s.rsplitn(n, delim).map(Into::into).collect(),
    })
}

/// `s.split()` (on whitespace) as Rhai's built-in does it (an empty string gives one empty
/// item), refused over `max` items, counted first.
fn bounded_split_whitespace(s: &ImmutableString, max: usize) -> SplitResult {
    if s.is_empty() {
        return Ok(vec![s.clone().into()]);
    }
    if s.split_whitespace().take(max.saturating_add(1)).count() > max {
        return Err(too_many_items("split", max));
    }
    Ok(s.split_whitespace().map(Into::into).collect())
}

/// `s.to_chars()` as Rhai's built-in does it, refused over `max` characters, counted first.
fn bounded_to_chars(s: &str, max: usize) -> SplitResult {
    if s.chars().take(max.saturating_add(1)).count() > max {
        return Err(too_many_items("to_chars", max));
    }
    Ok(s.chars().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::script::{ScriptEngine, Verdict};
    use rhai::Scope;

    #[test]
    fn replace_keeps_rhai_semantics_within_the_size_limit() {
        let se = ScriptEngine::new(Limits::default());
        for src in [
            r#"let s = "a-b-c"; s.replace("-", "+"); s == "a+b+c""#,
            r#"let s = "a-b-c"; s.replace("-", '+'); s == "a+b+c""#,
            r#"let s = "a-b-c"; s.replace('-', "<>"); s == "a<>b<>c""#,
            r#"let s = "a-b-c"; s.replace('-', 'é'); s == "aébéc""#,
            r#"let s = "abc"; s.replace("", "."); s == ".a.b.c.""#,
            r#"let s = ""; s.replace("", "x"); s == """#,
            r#"let s = "aaa"; s.replace("aa", "b"); s == "ba""#,
            r#"let s = "abc"; s.replace("x", "y"); s == "abc""#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
    }

    #[test]
    fn replace_past_the_size_limit_is_refused_before_allocating() {
        let se = ScriptEngine::new(Limits {
            max_string_size: 1000,
            ..Limits::default()
        });
        // exactly at the limit is fine: 500 x "ab" -> 1000 bytes
        let at = r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace('a', "bb"); s.len() == 1000"#;
        let c = se.compile(at).unwrap();
        assert_eq!(se.evaluate(&c, &Facts::new()).verdict, Verdict::Confirmed);
        for src in [
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace("a", "bbb"); true"#,
            r#"let s = "a"; while s.len() < 501 { s += "a"; } s.replace("a", 'é'); true"#,
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace('a', "bbb"); true"#,
            r#"let s = "a"; while s.len() < 400 { s += "a"; } s.replace('a', '😀'); true"#,
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace("", "bb"); true"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            let msg = e.error.unwrap_or_default();
            assert!(
                msg.contains("over the string size limit of 1000 bytes (max_string_size)"),
                "{src}: {msg}"
            );
        }
    }

    /// The items of an array result, with their types, to compare two engines' results.
    fn items(v: &Dynamic) -> Vec<(String, String)> {
        v.clone()
            .into_array()
            .unwrap_or_else(|t| panic!("not an array: {t}"))
            .iter()
            .map(|d| (d.type_name().to_owned(), d.to_string()))
            .collect()
    }

    #[test]
    fn split_and_to_chars_give_what_rhai_gives() {
        // every overload on ASCII, multi-byte and whitespace strings, empty ones, delimiters
        // absent, empty, overlapping or multi-byte, and segment counts from i64::MIN to
        // i64::MAX, compared with Rhai's own built-ins (a plain engine has no overrides)
        let ours = ScriptEngine::new(Limits::default());
        let rhai = rhai::Engine::new();
        let strings = [
            "",
            "x",
            "abc",
            "a,b,,c,",
            ",",
            ",,,",
            "aaaa",
            "aaaaa",
            "hello, world! hello, foo!",
            "héllo, wörld",
            "日本語のテキスト",
            "😀a😀b😀",
            "  lead and  trail  ",
            "\t tabs\nand\r\nlines\u{3000}ideographic\u{a0}",
            "   ",
        ];
        let delimiters: Vec<Dynamic> = [
            "", ",", ",,", "a", "aa", "ll", "é", "😀", " ", "本語", "missing",
        ]
        .into_iter()
        .map(|d| Dynamic::from(ImmutableString::from(d)))
        .chain(
            [',', 'a', 'l', 'é', '😀', ' ', 'z']
                .into_iter()
                .map(Dynamic::from_char),
        )
        .collect();
        let segments = [rhai::INT::MIN, -1, 0, 1, 2, 3, 4, 100, rhai::INT::MAX];
        let with_delimiter = ["s.split(d)", "s.split_rev(d)"];
        let with_segments = ["s.split(d, n)", "s.split_rev(d, n)"];
        let alone = ["s.split()", "s.to_chars()", "s.split(2)", "s.split(-1)"];
        let compile = |src: &str| {
            (
                ours.built().engine.compile(src).unwrap(),
                rhai.compile(src).unwrap(),
            )
        };
        let mut compared = 0;
        let mut check = |src: &str, s: &str, d: Option<&Dynamic>, n: Option<rhai::INT>| {
            let (a, b) = compile(src);
            let mut scope = Scope::new();
            scope.push("s", ImmutableString::from(s));
            if let Some(d) = d {
                scope.push_dynamic("d", d.clone());
            }
            if let Some(n) = n {
                scope.push("n", n);
            }
            let got = ours
                .built()
                .engine
                .eval_ast_with_scope::<Dynamic>(&mut scope.clone(), &a)
                .unwrap_or_else(|e| panic!("{src} with {s:?}, {d:?}, {n:?}: {e}"));
            let want = rhai.eval_ast_with_scope::<Dynamic>(&mut scope, &b).unwrap();
            assert_eq!(items(&got), items(&want), "{src} with {s:?}, {d:?}, {n:?}");
            compared += 1;
        };
        for s in strings {
            for src in alone {
                check(src, s, None, None);
            }
            for d in &delimiters {
                for src in with_delimiter {
                    check(src, s, Some(d), None);
                }
                for n in segments {
                    for src in with_segments {
                        check(src, s, Some(d), Some(n));
                    }
                }
            }
        }
        assert_eq!(
            compared,
            strings.len() * (4 + delimiters.len() * (2 + 2 * segments.len()))
        );
    }

    #[test]
    fn split_and_to_chars_keep_rhai_semantics_within_the_array_size_limit() {
        let se = ScriptEngine::new(Limits::default());
        // the examples of Rhai's documentation, and its special cases
        for src in [
            r#"let t = "hello, world! hello, foo!"; t.split("ll") == ["he", "o, world! he", "o, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split("ll", 2) == ["he", "o, world! hello, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split('l') == ["he", "", "o, wor", "d! he", "", "o, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split('l', 3) == ["he", "", "o, world! hello, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev("ll") == ["o, foo!", "o, world! he", "he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev("ll", 2) == ["o, foo!", "hello, world! he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev('l') == ["o, foo!", "", "d! he", "o, wor", "", "he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev('l', 3) == ["o, foo!", "", "hello, world! he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split() == ["hello,", "world!", "hello,", "foo!"]"#,
            r#""hello".to_chars() == ['h', 'e', 'l', 'l', 'o']"#,
            r#""abc".split("") == ["", "a", "b", "c", ""]"#,
            r#""abc".split_rev("") == ["", "c", "b", "a", ""]"#,
            r#""abc".split("", 2) == ["", "abc"]"#,
            r#""日本語".split("") == ["", "日", "本", "語", ""]"#,
            r#""日本語".split('本') == ["日", "語"]"#,
            r#""héllo".to_chars() == ['h', 'é', 'l', 'l', 'o']"#,
            r#""a😀b".split("😀") == ["a", "b"]"#,
            r#""aaa".split("aa") == ["", "a"] && "aaa".split_rev("aa") == ["", "a"]"#,
            r#""a,b".split(",", 0) == ["a,b"] && "a,b".split(",", -5) == ["a,b"]"#,
            r#""a,b".split(',', 1) == ["a,b"] && "a,b,c".split_rev(',', 2) == ["c", "a,b"]"#,
            r#""a,b".split("x") == ["a,b"] && "a,b".split('x') == ["a,b"]"#,
            r#""".split("") == [""] && "".split(",") == [""] && "".split(',', 3) == [""]"#,
            r#""".split() == [""] && "   ".split() == [] && "".to_chars() == []"#,
            r#""hello, world!".split(6) == ["hello,", " world!"]"#,
            // a constant can be split (the overrides are pure, as Rhai's are)
            r#"const C = "a,b"; C.split(",") == ["a", "b"] && C.to_chars().len() == 3"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
    }

    #[test]
    fn split_and_to_chars_past_the_array_size_limit_are_refused_before_building() {
        let se = ScriptEngine::new(Limits {
            max_array_size: 10,
            ..Limits::default()
        });
        // exactly at the limit is fine: 10 items
        for src in [
            r#""abcdefgh".split("").len() == 10"#,
            r#""abcdefgh".split_rev("").len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split(",").len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split(',').len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split_rev(',').len() == 10"#,
            r#""a b c d e f g h i j".split().len() == 10"#,
            r#""abcdefghij".to_chars().len() == 10"#,
            // a segment count keeps a long split within the limit
            r#""abcdefghijklmnopqrstuvwxyz".split("", 10).len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j,k,l".split_rev(',', 10).len() == 10"#,
            r#""abcdefghijklmnopqrstuvwxyz".split(3).len() == 2"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
        for (src, what) in [
            (r#""abcdefghi".split("")"#, "split"),
            (r#""abcdefghi".split_rev("")"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(",")"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(',')"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(",")"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(',')"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(",", 11)"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(',', 1000)"#, "split"),
            (r#""abcdefghij".split_rev("", 11)"#, "split_rev"),
            (
                r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(',', 9223372036854775807)"#,
                "split_rev",
            ),
            (r#""a b c d e f g h i j k".split()"#, "split"),
            (r#""abcdefghijk".to_chars()"#, "to_chars"),
            (r#""日本語のテキストです。".to_chars()"#, "to_chars"),
        ] {
            let c = se.compile(&format!("{src}; true")).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            let msg = e.error.unwrap_or_default();
            assert!(
                msg.contains(&format!(
                    "{what} would make an array of more than 10 items, over the array size \
                     limit of 10 items (max_array_size)"
                )),
                "{src}: {msg}"
            );
        }
    }
}
