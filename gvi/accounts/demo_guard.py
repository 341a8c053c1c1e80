"""Production refuses to run while demo accounts with known credentials are active."""

from __future__ import annotations

from gvi.accounts.tables import User


async def demo_accounts_present() -> bool:
    try:
        from seeds.demo import DEMO_USERS
    except ImportError:  # an image built without seeds/ cannot have loaded them
        return False
    names = [u.username for u in DEMO_USERS]
    return bool(
        await User.exists().where(
            User.username.is_in(names) & (User.is_active == True)  # noqa: E712
        )
    )
