"""``civicgrid audit …``: check the audit log's hash chain."""

from __future__ import annotations

import re

import typer

from civicgrid.audit import sealing
from civicgrid.cli.common import cli_session, fail

app = typer.Typer(no_args_is_help=True)

EXIT_TAMPERED = 1
_ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="留存在别处的“序号:哈希”（如前一次 verify 的输出），用于发现整体改写",
    ),
) -> None:
    """Check the audit log: every row's hash, every link, and the chain head. Exit 0 when the
    log is intact; 1 with a sentence naming the first edited, inserted or deleted row."""
    parsed: tuple[int, str] | None = None
    if anchor is not None:
        match = _ANCHOR_RE.match(anchor.strip())
        if match is None:
            raise fail("错误: --anchor 应为“序号:64 位十六进制哈希”，例如 1200:3f5a…")
        parsed = (int(match.group(1)), match.group(2))
    with cli_session() as session:
        verdict = sealing.verify(session, anchor=parsed)
    if verdict.problem is not None:
        typer.echo(f"审计日志被篡改: {verdict.problem.message}", err=True)
        raise typer.Exit(EXIT_TAMPERED)
    typer.echo(
        f"审计日志完整：{verdict.rows} 条记录，链头 {verdict.last_seq}:{verdict.last_hash}"
        "（可将此“序号:哈希”留存在别处，日后用 --anchor 核对）"
    )
