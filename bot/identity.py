"""Who is at the terminal: the one identity every CLI and console command acts as.

The person is the operating-system user running the command (`pwd.getpwuid(os.getuid())`),
never a name taken from the environment, so changing a variable cannot make someone else
approve. `CLI_USERS` maps OS users to Slack user ids (`alice=U012AB3CD`): a mapped terminal
user is that Slack user, for the on-call policy, the two-person rule and APPROVAL_ALLOW_SELF
alike (a request by alice at the terminal and a click by U012AB3CD in Slack are the same
person). An unmapped user is `cli:<name>`, which no Slack user id can equal.

The audit names both: `U012AB3CD (cli:alice)`, or `cli:alice` when unmapped.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass

# the Caller.via values of commands typed at this machine's terminal
TERMINAL_VIAS = frozenset({"cli", "console"})


@dataclass(frozen=True)
class TerminalIdentity:
    os_user: str
    slack_user: str | None = None  # from CLI_USERS; None when the OS user is not mapped

    @property
    def user(self) -> str:
        """The identity decisions are taken and compared as."""
        return self.slack_user or f"cli:{self.os_user}"

    @property
    def label(self) -> str:
        """How the audit log names this person."""
        if self.slack_user:
            return f"{self.slack_user} (cli:{self.os_user})"
        return f"cli:{self.os_user}"


def os_user() -> str:
    """The name of the OS user running this process (its uid when it has no name)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"uid{uid}"


def terminal_identity(cli_users: Mapping[str, str]) -> TerminalIdentity:
    """The person at this terminal, mapped through CLI_USERS."""
    name = os_user()
    return TerminalIdentity(os_user=name, slack_user=cli_users.get(name))
