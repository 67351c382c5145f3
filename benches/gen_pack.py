#!/usr/bin/env python3
"""Deterministic synthetic pack generator for scale benchmarks.

    python3 benches/gen_pack.py --entries 10000 --seed 42 --out /tmp/synth-10k

Writes a pack folder (pack.toml + entries/*.toml, 1000 entries per file) whose entries look
like real ones: mostly literal error text with some variable parts (ids, numbers, paths,
quoted names) as placeholders or captures, keywords, a fact and a check per entry.
Also writes `<out>/queries.txt` (one query per line: exact errors with variable parts filled
in, fragments, paraphrases) and `<out>/patterns.txt` (the signatures as plain regexes, for
`rg -f` and Hyperscan).
"""
import argparse
import os
import random

SUBJECTS = ["connection", "request", "session", "token", "volume", "backup", "job", "queue", "worker",
            "certificate", "license", "mailbox", "printer", "tenant", "cluster", "replica", "bucket",
            "index", "schema", "pipeline", "deployment", "gateway", "proxy", "cache", "lock", "quota",
            "snapshot", "policy", "role", "group", "device", "profile", "agent", "daemon", "driver"]
VERBS = ["failed", "timed out", "was rejected", "is not available", "could not be created",
         "was denied", "is corrupted", "exceeded its limit", "was not found", "is already in use",
         "could not be verified", "expired", "was reset by peer", "is read-only", "is locked"]
CONTEXT = ["while starting", "during sync", "after upgrade", "on shutdown", "when saving",
           "at login", "during export", "while mounting", "on retry", "during import"]
PRODUCTS = ["Orion", "Vega", "Lyra", "Atlas", "Nimbus", "Quasar", "Helix", "Zephyr", "Cobalt",
            "Onyx", "Pulsar", "Titan", "Nova", "Aurora", "Kestrel", "Falcon", "Juniper", "Maple"]
WORDS = ["slow", "broken", "stuck", "crash", "hangs", "missing", "cannot", "error", "fails",
         "weird", "random", "sometimes", "always", "users", "customers", "nightly", "morning"]
VARS = [("{number}", lambda r: str(r.randint(1, 99999))),
        ("{uuid}", lambda r: "%08x-%04x-4%03x-8%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12), r.getrandbits(48))),
        ("{ip}", lambda r: "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))),
        ("{hex}", lambda r: "%012x" % r.getrandbits(48))]


def esc(s):
    return s.replace("\\", "\\\\").replace("'", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    r = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "entries"), exist_ok=True)
    with open(os.path.join(args.out, "pack.toml"), "w") as f:
        f.write('format = 1\nid = "synthetic"\nname = "Synthetic scale pack"\nversion = "1.0.0"\n\n')
        f.write('[facts."svc.restarted"]\ntype = "bool"\nquestion = "Was the service restarted?"\n\n')
        f.write('[facts."svc.code"]\ntype = "int"\nquestion = "Which error code was shown?"\n')
    queries, patterns = [], []
    per_file = 1000
    files = {}
    for i in range(args.entries):
        product = r.choice(PRODUCTS)
        subject = r.choice(SUBJECTS)
        verb = r.choice(VERBS)
        ctx = r.choice(CONTEXT)
        code = "E%04d" % i
        var, gen = r.choice(VARS)
        literal = f"{product} {subject} {verb} {ctx} ({code})"
        pattern = f"{product} {subject} {verb} {ctx} \\({code}\\)"
        if r.random() < 0.5:
            pattern = f"{pattern}: {var}"
            example = f"{literal}: {gen(r)}"
        else:
            example = literal
        fidx = i // per_file
        f = files.get(fidx)
        if f is None:
            f = open(os.path.join(args.out, "entries", "part-%03d.toml" % fidx), "w")
            files[fidx] = f
        kws = r.sample(WORDS, 3)
        f.write("[[entries]]\n")
        f.write(f'id = "e{i:06d}"\n')
        f.write(f"title = '{esc(literal)}'\n")
        f.write(f'summary = "{product} reports that the {subject} {verb} {ctx}."\n')
        f.write(f'keywords = ["{product} {subject}", "{subject} {kws[0]}", "{product} {kws[1]} {kws[2]}"]\n')
        f.write(f"aliases = ['{product} {subject} {kws[0]} {ctx}']\n")
        f.write("remedy = ['Restart the service and retry.']\n\n")
        f.write("  [[entries.signatures]]\n  id = \"msg\"\n")
        f.write(f"  pattern = '{pattern}'\n\n")
        f.write("  [[entries.causes]]\n  id = \"not-restarted\"\n  title = \"The service was not restarted\"\n")
        f.write("  check = '!fact(\"svc.restarted\")'\n\n")
        patterns.append(pattern.replace("{number}", r"\d+(?:\.\d+)?").replace("{uuid}", r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}").replace("{ip}", r"(?:\d{1,3}\.){3}\d{1,3}").replace("{hex}", r"(?:0x)?[0-9A-Fa-f]{6,}"))
        roll = r.random()
        if roll < 0.5:
            queries.append(f"2026-11-02T10:{r.randint(10, 59)}:00Z ERROR {example}")
        elif roll < 0.8:
            queries.append(f"{product} {subject} {verb} {r.choice(WORDS)}")
        else:
            queries.append(f"our {product} {subject} {kws[0]} {kws[1]} {ctx}")
    for f in files.values():
        f.close()
    with open(os.path.join(args.out, "queries.txt"), "w") as f:
        f.write("\n".join(queries[:5000]) + "\n")
    with open(os.path.join(args.out, "patterns.txt"), "w") as f:
        f.write("\n".join(patterns) + "\n")


if __name__ == "__main__":
    main()
