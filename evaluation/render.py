"""Plain-text rendering of the developer commands' reports: `storybot eval` and `storybot bench`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evaluation.bench import BenchReport, ScalePoint
    from evaluation.harness import EvalReport


def render_report(report: EvalReport, show_misses: bool = True) -> str:
    lines = [
        f"[{report.name}] {report.questions} questions",
        f"  evidence recall   {report.evidence_recall:.3f}  ({report.hits}/{report.gold_pairs} outlet pairs with gold)",
        f"  abstain accuracy  {report.abstain_accuracy:.3f}  ({report.abstains}/{report.null_pairs} outlet pairs with null)",
        f"  latency ms        p50 {report.latency_ms_p50:.1f}  p95 {report.latency_ms_p95:.1f}  max {report.latency_ms_max:.1f}",
    ]
    if show_misses and report.misses:
        lines.append(f"  misses ({len(report.misses)}):")
        for miss in report.misses:
            expected = "nothing (null)" if miss.expected is None else " | ".join(miss.expected)
            quoted = " || ".join(q[:160] for q in miss.quoted) or "nothing"
            lines += [f"   - {miss.question}  [{miss.source_id} · {miss.outlet}]",
                      f"       expected: {expected}", f"       quoted:   {quoted}"]
    return "\n".join(lines) + "\n"


def render_bench(report: BenchReport) -> str:
    """`storybot bench` figures, one per line."""
    lines = [
        f"embedder              {report.embedder}",
        f"cold start (median)   {report.cold_start_s:.2f} s   runs: {', '.join(f'{t:.2f}' for t in report.cold_start_runs)}",
        f"warm, seed story      p50 {report.warm_p50_ms:.1f} ms   p95 {report.warm_p95_ms:.1f} ms"
        f"   (naive: p50 {report.naive_warm_p50_ms:.1f}, p95 {report.naive_warm_p95_ms:.1f})",
    ]
    if report.warm_five_outlet_p50_ms is not None:
        lines.append(f"warm, five outlets    p50 {report.warm_five_outlet_p50_ms:.1f} ms   p95 {report.warm_five_outlet_p95_ms:.1f} ms")
    lines += [
        f"raw encode            {report.raw_encode_per_s:.1f} passages/s",
        f"library build         {report.build_per_s:.1f} passages/s   ({report.build_per_s / report.raw_encode_per_s:.2f}× raw,"
        f" {report.build_passages} passages)",
        f"peak RSS (answering)  {report.peak_rss_mb:.0f} MiB",
    ]
    return "\n".join(lines) + "\n" + render_scale(report.scale)


def render_scale(points: list[ScalePoint]) -> str:
    """The search-scale figures of `storybot bench`, one line per store and size."""
    lines, store = [], None
    for p in points:
        if p.store != store:
            store = p.store
            lines.append(f"one-outlet search in a library of ({store}):")
        size = f"store {p.store_mb:.0f} MiB" if p.store_mb is not None else "store on the server"
        insert = f"   insert {p.insert_s:.1f} s" if p.insert_s is not None else ""
        lines.append(f"  {p.passages:>9,} passages   p50 {p.p50_ms:.3f} ms   p95 {p.p95_ms:.3f} ms   {size}{insert}")
    return "".join(line + "\n" for line in lines)
