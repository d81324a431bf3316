"""``civicgrid audit …``: seal the audit log's new rows into its hash chain and check it."""

from __future__ import annotations

import re
from datetime import timedelta

import typer

from civicgrid.audit import sealing
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock

app = typer.Typer(no_args_is_help=True)

EXIT_TAMPERED = 1
_ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


@app.command("seal")
def seal() -> None:
    """Seal every committed audit row that is not in the hash chain yet (the ``audit.seal``
    job does this every few seconds); running it again seals nothing new."""
    with cli_session() as session:
        sealed = sealing.seal_all(session)
    typer.echo(f"已封存 {sealed} 条审计记录")


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="留存在别处的“序号:哈希”（如前一次 verify 的输出），用于发现整体改写",
    ),
    stale_after: int = typer.Option(
        int(sealing.STALE_AFTER.total_seconds()),
        "--stale-after",
        min=1,
        help="记录写入后超过这么多秒仍未封存即视为异常",
    ),
) -> None:
    """Seal what is committed, then check the audit log: every sealed row's hash, every link,
    and the chain head; count the rows still unsealed. Exit 0 when the log is intact; 1 with a
    sentence naming the first edited, inserted or deleted row, or a row unsealed too long."""
    parsed: tuple[int, str] | None = None
    if anchor is not None:
        match = _ANCHOR_RE.match(anchor.strip())
        if match is None:
            raise fail("错误: --anchor 应为“序号:64 位十六进制哈希”，例如 1200:3f5a…")
        parsed = (int(match.group(1)), match.group(2))
    with cli_session() as session:
        sealing.seal_all(session)
        verdict = sealing.verify(
            session,
            anchor=parsed,
            now=SystemClock().now(),
            stale_after=timedelta(seconds=stale_after),
        )
    if verdict.problem is not None:
        typer.echo(f"审计日志被篡改: {verdict.problem.message}", err=True)
        raise typer.Exit(EXIT_TAMPERED)
    pending = ""
    if verdict.unsealed:
        pending = f"；另有 {verdict.unsealed} 条刚写入的记录尚未封存"
    typer.echo(
        f"审计日志完整：{verdict.rows} 条记录，链头 {verdict.last_seq}:{verdict.last_hash}"
        f"{pending}（可将此“序号:哈希”留存在别处，日后用 --anchor 核对）"
    )
