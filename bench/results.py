"""bench/RESULTS.md: one section per database (SQLite, PostgreSQL); a run replaces its own section, keeps others."""

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

HEADER = """# make bench: results

Written by `make bench` (bench/run.py); each run replaces the section of its database. Worker CPU is
utime+stime+cutime+cstime of the 2 gunicorn workers from /proc, over the measured requests only. How each figure is
taken: bench/run.py and bench/flows.py.
"""
FLAT_GROWTH = 0.10  # "flat": the largest worker grows by at most 10% from after warm-up to after all sign-ins


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _pct(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**not met**")


def render(f: dict) -> str:
    saml, oidc, stock = f["saml"], f["oidc"], f["stock"]
    small, large = f["discovery_small"], f["discovery_large"]
    ours, theirs = f["checks"]["ours"], f["checks"]["python3_saml"]
    check_ratio = ours["cpu_ms"] / theirs["cpu_ms"]
    stock_ratio = saml.per_cpu_second / stock.per_cpu_second if stock.per_cpu_second else float("nan")
    hrd_ratio = (large.seconds / large.count) / (small.seconds / small.count)
    hrd_statements = len(f["sql_discovery"].site)
    oidc_count = oidc.count or 1
    fetches = {k: v / oidc_count for k, v in sorted(f["idp_fetches"].items())}
    besides_token = sum(v for k, v in fetches.items() if k != "/token")
    rss_end_max = max(f["rss_end"].values())
    rss_warm_max = max(f["rss_warm"].values())
    growth = max(f["rss_end"][p] / f["rss_warm"][p] - 1 for p in f["rss_end"] if p in f["rss_warm"])
    target_served = 10_000  # the target's count, whatever BENCH_RSS_SIGNINS asked for
    all_served = f["served"] >= target_served
    postgres = f["storage"].startswith("PostgreSQL")
    orgs_small, orgs_large = f["orgs"]

    rows = [
        ("Check one signed SAML response: KloudSSO / python3-saml (CPU time)",
         f"{check_ratio:.2f}x ({ours['cpu_ms']:.2f} ms / {theirs['cpu_ms']:.2f} ms)", "<= 2x", check_ratio <= 2),
        ("Whole SAML sign-in (ACS POST + finish GET) per worker CPU-second",
         f"{saml.per_cpu_second:.1f}", ">= 60", saml.per_cpu_second >= 60),
        ("Whole SAML sign-in vs stock djangosaml2 (per CPU-second)",
         f"{stock_ratio:.2f}x ({saml.per_cpu_second:.1f} vs {stock.per_cpu_second:.1f})", ">= 8x", stock_ratio >= 8),
        ("OIDC callback per worker CPU-second" + ("" if postgres else " (the target is for PostgreSQL)"),
         f"{oidc.per_cpu_second:.1f}", ">= 120", oidc.per_cpu_second >= 120),
        (f"Home-realm discovery, worker CPU per request, {orgs_large:,} / {orgs_small:,} organizations",
         f"{hrd_ratio:.2f}x", "<= 1.1x", hrd_ratio <= 1.1),
        ("Home-realm discovery, SQL statements", str(hrd_statements), "<= 4", hrd_statements <= 4),
        ("IdP fetches per warm OIDC sign-in besides the token request", f"{besides_token:.2f}", "0",
         besides_token == 0),
        (f"Worker RSS after {f['served']:,} sign-ins (largest worker)", f"{rss_end_max:.1f} MB", "<= 120 MB",
         rss_end_max <= 120 if all_served else None),
        (f"Worker RSS growth, after warm-up -> after {f['served']:,} sign-ins (largest)",
         f"{growth * 100:+.1f}% ({rss_warm_max:.1f} -> {rss_end_max:.1f} MB)", f"flat (<= +{FLAT_GROWTH:.0%})",
         growth <= FLAT_GROWTH if all_served else None),
    ]  # fmt: skip
    lines = [
        f"## {f['storage']}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the run took {f['duration_s'] / 60:.1f} minutes",
        f"- Machine: {_cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}, Python "
        f"{platform.python_version()}",
        f"- Database and cache: {f['storage']}; gunicorn {_gunicorn()} with 2 sync workers, "
        f"{f['knobs']['CLIENTS']} client threads",
        "- Each simulated browser sends its own client address in X-Bench-Client-IP (site setting CLIENT_IP_HEADER), "
        "as a proxy would, so the per-address cap on AuthnRequest notes (100 per 10 minutes) applies per browser "
        "as in production; no protection is turned off.",
        "- Worker CPU is the app servers' own: a database server's or Redis's CPU is not in it. Stock djangosaml2 "
        "runs on its own SQLite file, whose work is in its workers' CPU; on the PostgreSQL run, KloudSSO's database "
        "work is partly in the PostgreSQL server's. A reused PostgreSQL connection also sends one health check "
        "(SELECT 1) per request, which the statement counts below leave out.",
        "- Latencies are measured at the client, with the client threads above sharing 2 workers: they include "
        "queueing, and for OIDC the token request to the stand-in IdP.",
    ]
    if not all_served:
        lines.append(
            f"- The memory phase stopped at its time cap: {f['served']:,} of {target_served:,} sign-ins were served, "
            "so the RSS targets are not measured."
        )
    lines += ["", "| Figure | Value | Target | Met? |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {value} | {target} | {_met(ok)} |" for name, value, target, ok in rows]
    fetched = f"{_fetches(fetches)} During the SAML phase the IdP stand-in was asked {f['saml_idp_fetches']} times."
    lines += ["", "### Raw figures", "", _flows_table(f), "", _statements(f), "", fetched, "", _rss(f), ""]
    lines += [
        f"Checking one response in process, over {ours['n']} freshly signed responses each: KloudSSO "
        f"(signin.saml.verify.verify_response after peek, replay record included) {ours['cpu_ms']:.2f} ms CPU "
        f"({ours['wall_ms']:.2f} ms wall); python3-saml OneLogin_Saml2_Response.is_valid (strict) "
        f"{theirs['cpu_ms']:.2f} ms CPU ({theirs['wall_ms']:.2f} ms wall). CPU includes waited-for children.",
        "",
    ]
    return "\n".join(lines)


def _gunicorn() -> str:
    import gunicorn

    return gunicorn.__version__


def _flows_table(f: dict) -> str:
    rows = [
        "| Flow (measured step) | Count | Wall s | Worker CPU s | Per CPU-s | CPU ms each | p50 ms | p95 ms "
        "| Start: CPU ms each | Start p50 / p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    named = [
        ("SAML sign-in (ACS POST + finish GET)", f["saml"]),
        ("OIDC callback", f["oidc"]),
        (f"Home-realm discovery POST, {f['orgs'][0]:,} orgs", f["discovery_small"]),
        (f"Home-realm discovery POST, {f['orgs'][1]:,} orgs", f["discovery_large"]),
        ("Stock djangosaml2 sign-in (ACS POST)", f["stock"]),
    ]
    for name, p in named:
        each = p.seconds * 1000 / p.count if p.count else float("nan")
        start_each = p.start_seconds * 1000 / p.count if p.count else float("nan")
        rows.append(
            f"| {name} | {p.count} | {p.wall:.1f} | {p.seconds:.2f} | {p.per_cpu_second:.1f} | {each:.1f} "
            f"| {_pct(p.latencies, 0.5):.1f} | {_pct(p.latencies, 0.95):.1f} | {start_each:.1f} "
            f"| {_pct(p.start_latencies, 0.5):.1f} / {_pct(p.start_latencies, 0.95):.1f} |"
        )
    rows.append(
        "\nStart = GET Sign in with SSO + POST of the email (discovery, then the AuthnRequest or authorization "
        "redirect); for home-realm discovery the start is the GET alone; for djangosaml2 its login view. "
        "Latency is client-side, with the client threads above."
    )
    return "\n".join(rows)


def _statements(f: dict) -> str:
    out = ["SQL statements (in process, Django test Client, BEGIN/COMMIT/SAVEPOINT left out):", ""]
    for name, key in (
        ("warm SAML sign-in (ACS + finish)", "sql_saml"),
        ("warm OIDC callback", "sql_oidc"),
        ("home-realm discovery POST (with the OIDC start it leads to)", "sql_discovery"),
    ):
        s = f[key]
        cache = f", plus {len(s.cache)} of the database cache" if s.cache else ""
        out.append(f"- {name}: {len(s.site)}{cache}")
    out += ["", "<details><summary>The statements</summary>", ""]
    for key in ("sql_saml", "sql_oidc", "sql_discovery"):
        out.append(f"{key}:")
        out += ["    " + " ".join(sql.split())[:160] for sql in f[key].site]
    out += ["", "</details>"]
    return "\n".join(out)


def _fetches(per_signin: dict) -> str:
    listed = ", ".join(f"{path} {n:.2f}" for path, n in per_signin.items()) or "none"
    return f"IdP requests per OIDC callback during the measured phase (after warm-up): {listed}."


def _rss(f: dict) -> str:
    def fmt(snapshot):
        return ", ".join(f"{mb:.1f}" for _, mb in sorted(snapshot.items()))

    return (
        f"Worker RSS (MB, each worker): after start {fmt(f['rss_start'])}; after warm-up {fmt(f['rss_warm'])}; "
        f"after {f['served']:,} sign-ins {fmt(f['rss_end'])}. Stock djangosaml2 workers at the end: "
        f"{fmt(f['stock_rss'])}. After start, one worker has answered the bench's readiness request (GET /)."
    )


def write(f: dict, path: Path) -> str:
    section = render(f)
    key = f["storage"].split()[0]
    begin, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    block = f"{begin}\n{section}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
    return section
