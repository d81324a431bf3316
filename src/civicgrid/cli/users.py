"""``civicgrid user …``: create accounts with a post, and issue API tokens."""

from __future__ import annotations

import typer

from civicgrid.auth import service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock

app = typer.Typer(no_args_is_help=True)

_ROLE_HELP = "角色: " + ", ".join(f"{r.value}({r.label})" for r in Role)


@app.command("create")
def create(
    username: str = typer.Option(..., "--username", help="登录名"),
    name: str = typer.Option(..., "--name", help="姓名"),
    role: str = typer.Option(..., "--role", help=_ROLE_HELP),
    region: str | None = typer.Option(None, "--region", help="岗位所在区划代码"),
    department: str | None = typer.Option(None, "--department", help="岗位所在部门代码"),
    utility: str | None = typer.Option(None, "--utility", help="岗位所在公共服务企业代码"),
    title: str = typer.Option("", "--title", help="岗位名称"),
    password: str | None = typer.Option(
        None, "--password", help="密码（不给出时交互输入，不回显）"
    ),
) -> None:
    """Create a user holding one post (a role at a region, department or utility)."""
    try:
        role_value = Role(role)
    except ValueError:
        raise fail(f"错误: 未知角色 {role}。{_ROLE_HELP}") from None
    if sum(x is not None for x in (region, department, utility)) > 1:
        raise fail("错误: --region、--department、--utility 只能给出一个")
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    now = SystemClock().now()
    actor = Actor.system("cli")
    with cli_session() as session:
        anchors = service.resolve_anchor_codes(
            session, region_code=region, department_code=department, utility_code=utility
        )
        user, _post = service.create_user_with_post(
            session,
            username=username,
            display_name=name,
            password=password,
            role=role_value,
            region_id=anchors.region_id,
            department_id=anchors.department_id,
            utility_id=anchors.utility_id,
            title=title,
            actor=actor,
            now=now,
        )
        typer.echo(f"已创建用户 {user.username}（{user.display_name}），角色 {role_value.label}")


@app.command("token")
def token(
    username: str = typer.Option(..., "--username", help="登录名"),
    name: str = typer.Option(..., "--name", help="令牌用途"),
) -> None:
    """Issue a new API token for a user and print it (it is shown only this once)."""
    now = SystemClock().now()
    with cli_session() as session:
        user_id = service.find_user_id(session, username)
        if user_id is None:
            raise fail(f"错误: 用户 {username} 不存在")
        _row, plain = service.issue_token(
            session, user_id=user_id, name=name, actor=Actor.system("cli"), now=now
        )
        typer.echo(plain)
