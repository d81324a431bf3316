"""``civicgrid open311 keys``: API keys of the client applications of the Open311 server.

``create --name NAME`` prints the new key on its last line (shown once, stored hashed);
``list`` prints one JSON line per client (never a key); ``revoke`` stops a key. Bad input
exits with code 2 and a sentence on stderr.
"""

from __future__ import annotations

import json

import typer

from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock
from civicgrid.config import get_settings

app = typer.Typer(no_args_is_help=True)
keys = typer.Typer(no_args_is_help=True)
app.add_typer(keys, name="keys", help="Create, list and revoke client API keys.")

CLI_ACTOR = Actor.system("cli-open311")


@keys.command()
def create(
    name: str = typer.Option(..., "--name", help="the client application's name"),
    rate_limit: int = typer.Option(
        0, "--rate-limit", help="requests per minute for this key (default: the setting)"
    ),
) -> None:
    """Create a client application; its new key is printed on the last line."""
    from civicgrid.open311 import service

    limit = rate_limit or get_settings().open311_rate_limit
    with cli_session() as session:
        client, key = service.create_client(
            session,
            name=name,
            rate_limit_per_minute=limit,
            actor=CLI_ACTOR,
            now=SystemClock().now(),
        )
        typer.echo(
            f"客户端 {client.name}（编号 {client.id}，每分钟 {limit} 次）已创建；密钥只显示这一次："
        )
    typer.echo(key)


@keys.command("list")
def list_keys() -> None:
    """One JSON line per client application (key prefix only)."""
    from civicgrid.open311 import queries

    with cli_session() as session:
        for client in queries.clients(session):
            typer.echo(
                json.dumps(
                    {
                        "id": client.id,
                        "name": client.name,
                        "key_prefix": client.key_prefix,
                        "rate_limit_per_minute": client.rate_limit_per_minute,
                        "created_at": client.created_at.isoformat(),
                        "last_used_at": client.last_used_at.isoformat()
                        if client.last_used_at
                        else None,
                        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
                    },
                    ensure_ascii=False,
                )
            )


@keys.command()
def revoke(client: str = typer.Argument(..., help="the client's id or name")) -> None:
    """Revoke a client's key (its requests stay and still name it)."""
    from civicgrid.open311 import queries, service

    with cli_session() as session:
        found = queries.find_client_by_name(session, client)
        if found is None and client.isdigit():
            found = queries.get_client(session, int(client))
        if found is None:
            raise fail(f"错误: 没有名为或编号为 {client} 的 Open311 客户端")
        revoked = service.revoke_client(
            session, client_id=found.id, actor=CLI_ACTOR, now=SystemClock().now()
        )
        typer.echo(f"客户端 {revoked.name} 的密钥已吊销")
