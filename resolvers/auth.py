"""Sign-in and the signed-in person."""

from __future__ import annotations

from schema.context import Info
from schema.loaders import load_required
from schema.permissions import NotAuthenticated
from schema.types.accounts import User
from schema.types.auth_inputs import AuthInput, AuthPayload
from schema.types.common import user_errors
from services import auth


async def login(info: Info, input: AuthInput) -> AuthPayload:
    ctx = info.context
    services = ctx.services
    settings = services.settings
    limits = (
        auth.LoginLimits(settings.login_failures_per_account, settings.login_failures_per_address)
        if settings is not None
        else auth.LoginLimits()
    )
    # The client's address as the ASGI server reports it (uvicorn applies X-Forwarded-For from trusted
    # proxies); failures are counted per address, so they slow down only whoever makes them.
    client = getattr(ctx.request, "client", None)
    # Not `mutate`: sign-in runs its own two short transactions around the slow password check, and
    # commits counted failures too (they feed the slow-down).
    result = await auth.login(
        services.db.sessions,
        services.tokens,
        input.email,
        input.password,
        client.host if client else None,
        services.clock.now(),
        limits,
    )
    await ctx.after_commit()
    if result.error is not None:
        return AuthPayload(errors=user_errors(result.error, ctx.language))
    if result.user is None:
        raise RuntimeError("login answered neither a user nor an error")
    # The rest of this response is read as the person who just proved who they are (their own
    # `user { email }` included); the request itself was anonymous.
    info.context.principal = auth.principal_of_user(result.user)
    return AuthPayload(token=result.token, user=User.from_row(result.user))


async def me(info: Info) -> User:
    principal = info.context.principal
    if principal is None or not principal.is_user:
        raise NotAuthenticated("`me` is for signed-in people; API keys have no user")
    return await load_required(info.context.loaders.users, principal.id, User.from_row)
