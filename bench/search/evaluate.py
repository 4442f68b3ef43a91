#!/usr/bin/env python3
"""Search-quality harness (issue 6, item 8). See README.md.

  evaluate.py queries  --corpus DIR --db DOCRUNCH.db --out queries.jsonl [--n 500] [--seed S]
      Picks functions with docstrings (top-level functions and methods of
      top-level classes, parsed with ast), query = the docstring's first
      sentence; keeps those Docrunch stored as symbols; samples N
      deterministically; withholds their docstrings from Docrunch's database
      (symbols.docstring = '', so a `sync rebuild` re-indexes without them).
  evaluate.py baseline --corpus DIR --queries queries.jsonl --out ranks.jsonl
      Plain SQLite FTS5 (unicode61, bm25) over whole-file text, the targets'
      docstrings cut out of their files; the query's words joined by OR.
  evaluate.py report   --queries queries.jsonl RANKS.jsonl...
      MRR@10 and recall@10 per variant on the tuning half (even query
      numbers) and the held-out half (odd), as a Markdown table.

The realistic harness (realistic.sh; queries written as a user would ask,
queries/*.jsonl: {"query", "expected": ["path#Qualified.name", ...], "note"}):

  evaluate.py realistic-baseline --corpus DIR --ext .py --queries Q.jsonl --out ranks.jsonl
      The same FTS5 whole-file baseline, nothing withheld.
  evaluate.py realistic-report --queries Q.jsonl --half tune|test RANKS.jsonl...
      MRR@10, recall@10 (a right answer in the first 10) and nDCG@10 (every
      expected answer relevant) at function and file level.
"""
import math
import argparse
import ast
import json
import os
import random
import re
import sqlite3
import sys

WORD = re.compile(r"[A-Za-z0-9_]+")


def python_files(corpus):
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield os.path.relpath(path, corpus)


def first_sentence(doc):
    paragraph = doc.strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in paragraph.splitlines())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).strip()


def candidates(corpus):
    """(path, qualname, sentence, docstring first line, last line) per documented function."""
    for path in python_files(corpus):
        try:
            with open(os.path.join(corpus, path), encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        defs = []
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs.append((node.name, node))
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        defs.append((node.name + "." + item.name, item))
        for qualname, node in defs:
            doc = ast.get_docstring(node)
            if not doc:
                continue
            expr = node.body[0]
            sentence = first_sentence(doc)
            words = WORD.findall(sentence)
            if not 4 <= len(words) <= 40:
                continue
            yield path, qualname, sentence, expr.lineno, expr.end_lineno


def cmd_queries(args):
    found = list(candidates(args.corpus))
    # A sentence shared by several functions has no single right answer.
    count = {}
    for c in found:
        count[c[2]] = count.get(c[2], 0) + 1
    found = [c for c in found if count[c[2]] == 1]
    db = sqlite3.connect(args.db)
    stored = set(
        db.execute(
            "SELECT f.path || '#' || s.qualified_name FROM symbols s JOIN files f ON f.id = s.file_id"
        ).fetchall()
    )
    stored = {row[0] for row in stored}
    found = [c for c in found if c[0] + "#" + c[1] in stored]
    found.sort()
    sample = sorted(random.Random(args.seed).sample(found, min(args.n, len(found))))
    with open(args.out, "w") as out:
        for i, (path, qualname, sentence, first, last) in enumerate(sample):
            out.write(json.dumps({"qid": i, "query": sentence, "path": path, "qualname": qualname,
                                  "doc_lines": [first, last]}) + "\n")
    # Withhold the targets' docstrings from what Docrunch indexes.
    with db:
        for path, qualname, *_ in sample:
            db.execute(
                "UPDATE symbols SET docstring = '' WHERE qualified_name = ? AND file_id IN "
                "(SELECT id FROM files WHERE path = ?)", (qualname, path))
    print(f"{len(sample)} queries from {len(found)} candidates", file=sys.stderr)


def load_queries(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def cmd_baseline(args):
    queries = load_queries(args.queries)
    cut = {}
    for q in queries:
        cut.setdefault(q["path"], []).append(q["doc_lines"])
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE files USING fts5(path UNINDEXED, body)")
    for path in python_files(args.corpus):
        with open(os.path.join(args.corpus, path), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        for first, last in cut.get(path, []):
            for n in range(first - 1, last):
                lines[n] = ""
        db.execute("INSERT INTO files (path, body) VALUES (?, ?)", (path, "\n".join(lines)))
    with open(args.out, "w") as out:
        for q in queries:
            words = sorted(set(w.lower() for w in WORD.findall(q["query"])))
            match = " OR ".join('"' + w + '"' for w in words)
            rows = db.execute(
                "SELECT path FROM files WHERE files MATCH ? ORDER BY bm25(files), path LIMIT 10",
                (match,)).fetchall()
            paths = [r[0] for r in rows]
            rank = paths.index(q["path"]) + 1 if q["path"] in paths else 0
            out.write(json.dumps({"qid": q["qid"], "variant": "baseline: FTS5 bm25, whole files",
                                  "file_rank": rank}) + "\n")


def cmd_report(args):
    queries = load_queries(args.queries)
    halves = {"tune": {q["qid"] for q in queries if q["qid"] % 2 == 0},
              "test": {q["qid"] for q in queries if q["qid"] % 2 == 1}}
    ranks = {}  # variant -> granularity -> qid -> rank (0: not in the top 10)
    order = []
    for path in args.ranks:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r["variant"] not in ranks:
                    ranks[r["variant"]] = {}
                    order.append(r["variant"])
                for g in ("symbol_rank", "file_rank"):
                    if g in r:
                        ranks[r["variant"]].setdefault(g, {})[r["qid"]] = r[g]

    def metrics(by_qid, qids):
        got = [by_qid.get(q, 0) for q in qids]
        mrr = sum(1.0 / r for r in got if 0 < r <= 10) / len(got)
        recall = sum(1 for r in got if 0 < r <= 10) / len(got)
        return mrr, recall

    half = args.half
    qids = sorted(halves[half]) if half != "all" else sorted(q["qid"] for q in queries)
    print(f"Queries: {len(qids)} ({half})\n")
    print("| Ranking | function MRR@10 | function recall@10 | file MRR@10 | file recall@10 |")
    print("|---|---:|---:|---:|---:|")
    for variant in order:
        cells = []
        for g in ("symbol_rank", "file_rank"):
            if g in ranks[variant]:
                mrr, recall = metrics(ranks[variant][g], qids)
                cells += [f"{mrr:.3f}", f"{recall:.3f}"]
            else:
                cells += ["—", "—"]
        print(f"| {variant} | " + " | ".join(cells) + " |")


def corpus_files(corpus, ext):
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "node_modules"))
        for name in sorted(filenames):
            if name.endswith(ext) and not name.endswith(".d.ts"):
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield os.path.relpath(path, corpus)


def load_realistic(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                q["qid"] = len(out)
                out.append(q)
    return out


def cmd_realistic_baseline(args):
    queries = load_realistic(args.queries)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE files USING fts5(path UNINDEXED, body)")
    for path in corpus_files(args.corpus, args.ext):
        with open(os.path.join(args.corpus, path), encoding="utf-8", errors="replace") as f:
            db.execute("INSERT INTO files (path, body) VALUES (?, ?)", (path, f.read()))
    with open(args.out, "w") as out:
        for q in queries:
            words = sorted(set(w.lower() for w in WORD.findall(q["query"])))
            match = " OR ".join('"' + w + '"' for w in words)
            rows = db.execute(
                "SELECT path FROM files WHERE files MATCH ? ORDER BY bm25(files), path LIMIT 10",
                (match,)).fetchall()
            out.write(json.dumps({"qid": q["qid"], "variant": "baseline: FTS5 bm25, whole files",
                                  "files": [r[0] for r in rows]}) + "\n")


def ranking_metrics(got, relevant):
    """MRR@10, success@10 and nDCG@10 of the ranked list `got` against the set `relevant`."""
    got = got[:10]
    first = next((i + 1 for i, g in enumerate(got) if g in relevant), 0)
    dcg = sum(1.0 / math.log2(i + 2) for i, g in enumerate(got) if g in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return (1.0 / first if first else 0.0), (1.0 if first else 0.0), (dcg / ideal if ideal else 0.0)


def cmd_realistic_report(args):
    queries = load_realistic(args.queries)
    if args.half == "tune":
        queries = [q for q in queries if q["qid"] % 2 == 0]
    elif args.half == "test":
        queries = [q for q in queries if q["qid"] % 2 == 1]
    runs, order = {}, []
    for path in args.ranks:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r["variant"] not in runs:
                    runs[r["variant"]] = {}
                    order.append(r["variant"])
                runs[r["variant"]][r["qid"]] = r
    print(f"Queries: {len(queries)} ({args.half})\n")
    print("| Ranking | function MRR@10 | function recall@10 | function nDCG@10 "
          "| file MRR@10 | file recall@10 | file nDCG@10 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant in order:
        cells = []
        for level in ("ids", "files"):
            if not any(level in r for r in runs[variant].values()):
                cells += ["—"] * 3
                continue
            total = [0.0, 0.0, 0.0]
            for q in queries:
                expected = set(q["expected"])
                if level == "files":
                    expected = {e.split("#")[0] for e in expected}
                got = runs[variant].get(q["qid"], {}).get(level, [])
                for k, v in enumerate(ranking_metrics(got, expected)):
                    total[k] += v
            cells += [f"{t / len(queries):.3f}" for t in total]
        print(f"| {variant} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("queries")
    q.add_argument("--corpus", required=True)
    q.add_argument("--db", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--n", type=int, default=500)
    q.add_argument("--seed", type=int, default=20261127)
    b = sub.add_parser("baseline")
    b.add_argument("--corpus", required=True)
    b.add_argument("--queries", required=True)
    b.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--queries", required=True)
    r.add_argument("--half", choices=["tune", "test", "all"], default="test")
    r.add_argument("ranks", nargs="+")
    rb = sub.add_parser("realistic-baseline")
    rb.add_argument("--corpus", required=True)
    rb.add_argument("--ext", required=True)
    rb.add_argument("--queries", required=True)
    rb.add_argument("--out", required=True)
    rr = sub.add_parser("realistic-report")
    rr.add_argument("--queries", required=True)
    rr.add_argument("--half", choices=["tune", "test", "all"], default="test")
    rr.add_argument("ranks", nargs="+")
    args = parser.parse_args()
    {"queries": cmd_queries, "baseline": cmd_baseline, "report": cmd_report,
     "realistic-baseline": cmd_realistic_baseline,
     "realistic-report": cmd_realistic_report}[args.cmd](args)


if __name__ == "__main__":
    main()
