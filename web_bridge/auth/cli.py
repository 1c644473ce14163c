"""Admin CLI for dashboard users: ``suwon_users add kim --role operator``.

Passwords are read from the terminal (twice), or from standard input with --password-stdin
for scripts; they never appear on the command line, where other users could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from suwon_web_bridge.auth.users import Role, UserError, UserStore


def _database(option: str | None) -> str:
    if option:
        return option
    from suwon_fleet.core.sites import load_fleet
    from suwon_web_bridge.settings import BridgeSettings

    return BridgeSettings.from_env(load_fleet(check_maps=False)).database


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suwon_users", description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLite file (default: the bridge's database)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", default="viewer", choices=[r.label for r in Role])
    add.add_argument("--name", default="", help="display name, e.g. 김민원 주무관")
    add.add_argument("--password-stdin", action="store_true")
    passwd = commands.add_parser("passwd", help="set a user's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    role = commands.add_parser("role", help="change a user's role")
    role.add_argument("username")
    role.add_argument("role", choices=[r.label for r in Role])
    for name in ("disable", "enable", "remove"):
        commands.add_parser(name, help=f"{name} a user").add_argument("username")
    commands.add_parser("list", help="list users")
    options = parser.parse_args(argv)

    users = UserStore(_database(options.database))
    try:
        if options.command == "add":
            users.add(options.username, _password(options.password_stdin), options.role,
                      options.name)
            print(f"added {options.username} ({options.role})")
        elif options.command == "passwd":
            users.set_password(options.username, _password(options.password_stdin))
            print(f"password of {options.username} changed")
        elif options.command == "role":
            users.set_role(options.username, options.role)
            print(f"{options.username} is now {options.role}")
        elif options.command in ("disable", "enable"):
            users.set_disabled(options.username, options.command == "disable")
            print(f"{options.username} {options.command}d")
        elif options.command == "remove":
            users.remove(options.username)
            print(f"removed {options.username}")
        else:
            for user in users.list():
                state = " (disabled)" if user.disabled else ""
                print(f"{user.username:<20}{user.role.label:<10}{user.display_name}{state}")
    except (UserError, ValueError) as exc:
        print(f"suwon_users: {exc}", file=sys.stderr)
        return 2
    finally:
        users.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
