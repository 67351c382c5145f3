#!/usr/bin/env python3
"""Writes seed inputs for every fuzz target into fuzz/corpus/<target>/seed-*.

Seeds come from the repository itself: the shipped and fixture packs (load_pack, check),
the query corpus tests/data/dev-queries.jsonl (query, query_json, scan) and the pack examples
(query_json, request_json: one route byte, then an HTTP body). Existing corpus files are kept; seeds are rewritten each time.
"""
import json
import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
# Fixtures that reproduce open bugs (tests/hostile.rs): as seeds they would only make the
# fuzzer report the same hang or crash again.
KNOWN_BUGS = {"hostile-sleep", "hostile-sleep-overflow", "hostile-pad", "hostile-replace"}


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (d / f"seed-{name}").write_bytes(data)


def pack_dirs():
    dirs = sorted(p for p in (ROOT / "packs").iterdir() if (p / "pack.toml").is_file())
    dirs += sorted(p for p in (ROOT / "tests" / "packs").iterdir() if (p / "pack.toml").is_file())
    return [d for d in dirs if d.name not in KNOWN_BUGS]


def main():
    rnd = random.Random(8)
    checks = set()
    for d in pack_dirs():
        manifest = (d / "pack.toml").read_bytes()
        entries = sorted((d / "entries").glob("*.toml")) if (d / "entries").is_dir() else []
        scripts = sorted((d / "scripts").glob("*.rhai")) if (d / "scripts").is_dir() else []
        helper = scripts[0].read_bytes() if scripts else b""
        if not entries:
            write("load_pack", d.name, manifest + b"\0\0" + helper)
        for e in entries:
            write("load_pack", f"{d.name}-{e.stem}", manifest + b"\0" + e.read_bytes() + b"\0" + helper)
        for f in [d / "pack.toml", *entries]:
            text = f.read_text("utf-8", errors="replace")
            for m in re.finditer(r"check\s*=\s*('''(.*?)'''|'([^'\n]*)'|\"([^\"\n]*)\")", text, re.S):
                checks.add(next(g for g in m.groups()[1:] if g is not None))
        for s in scripts:
            checks.add(s.read_text("utf-8", errors="replace") + "\ntrue")
    checks |= {
        "loop {}",
        "fn f(x) { f(x + 1) } f(0)",
        'let s = "x"; while s.len() < 100000000 { s += s; } true',
        "let a = []; loop { a.push(a.len()); }",
        'fact("a.flag") && fact("a.count") > 2 || fact_or("a.ratio", 0.0) < 1.0',
        'fact("a.name").contains("@") && "x" in fact("a.list")',
        'let m = #{a: 1, b: [1, 2, 3]}; m.b.len() == 3 && has("a.flag")',
        "let x = 1; switch x { 1 => true, _ => false }",
        'let f = |x| x * 2; f.call(21) == 42',
        "`${fact(\"a.count\")}` == \"3\"",
    }
    for i, c in enumerate(sorted(checks)):
        write("check", f"{i:03}", c)

    queries = []
    for line in (ROOT / "tests" / "data" / "dev-queries.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            queries.append(json.loads(line)["q"])
    for i, q in enumerate(queries):
        write("query", f"{i:03}", bytes([rnd.randrange(256)]) + q.encode("utf-8"))
        req = {"text": q, "limit": rnd.randrange(1, 6)}
        if i % 3 == 0:
            req["trace"] = True
        write("query_json", f"{i:03}", json.dumps(req))
        write("request_json", f"search-{i:03}", b"\x00" + json.dumps(req).encode())
        write("request_json", f"batch-{i:03}", b"\x02" + json.dumps({"items": [{"id": str(i), "text": q}]}).encode())
    write("query", "syntax", b"\x85error: \"(x AND y) OR -z\" title:foo [1 TO 2] {a} ~2 ^3 *")
    write("query", "binary", bytes(range(256)))
    # log chunks: ordinary lines (padded levels, tabs, CRLF) around the corpus' messages
    noise = ["2026-11-28T10:00:00Z INFO  request served in 12 ms", "\tat worker.run(Worker.java:42)",
             "WARN\tretrying   in 5 s\r", "", "  indented  line  ", "caf\u00e9 \u2019quoted\u2019 \u2014 dash"]
    for i in range(0, len(queries), 4):
        lines = []
        for q in queries[i:i + 4]:
            lines.append(rnd.choice(noise))
            lines.append(f"{rnd.choice(['ERROR ', 'E ', ''])}{q}")
        write("scan", f"{i:03}", "\n".join(lines))
    write("scan", "binary", bytes(range(256)) * 2)
    # requests with facts, from the pack examples
    n = 0
    for d in pack_dirs():
        tests = d / "tests"
        if not tests.is_dir():
            continue
        for f in sorted(tests.glob("*.toml")):
            text = f.read_text("utf-8", errors="replace")
            for m in re.finditer(r'text\s*=\s*"([^"\n]*)"\s*\nfacts\s*=\s*\{([^}\n]*)\}', text):
                facts = {}
                for kv in re.finditer(r'"([^"]+)"\s*=\s*("[^"]*"|true|false|-?[0-9.]+)', m.group(2)):
                    v = kv.group(2)
                    facts[kv.group(1)] = json.loads(v)
                write("query_json", f"facts-{n:03}", json.dumps({"text": m.group(1), "facts": facts}))
                write("request_json", f"diagnose-{n:03}", b"\x01" + json.dumps({"text": m.group(1), "facts": facts}).encode())
                n += 1
    write("request_json", "surrogates", b'\x01{"text": "a\\ud800 b \\udc00 \\ud83d\\ude00", "trace": true}')
    write("request_json", "not-utf8", b'\x00{"text": "caf\xe9 \xff"}')
    write("request_json", "feedback", b'\x03{"entry": "aws-iam-identity-center/session-token-invalid", "outcome": "resolved"}')
    for i in range(32):
        write("facts", f"{i:03}", bytes(rnd.randrange(256) for _ in range(rnd.randrange(4, 64))))


if __name__ == "__main__":
    main()
