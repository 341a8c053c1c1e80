"""TOTP (single use, the window) and recovery codes (format, hashing, single use in the DB)."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from cryptography.exceptions import InvalidTag

from gvi.accounts import totp
from gvi.accounts.tables import RecoveryCode, User
from gvi.accounts.totp import (
    RECOVERY_ALPHABET,
    count_unused_recovery_codes,
    generate_recovery_codes,
    hash_recovery_code,
    new_secret,
    normalise_recovery_code,
    open_secret,
    provisioning_uri,
    seal_secret,
    store_recovery_codes,
    use_recovery_code,
    use_totp_code,
    verify_recovery_code,
    verify_totp,
)

# A fixed instant in the middle of a 30-second step.
NOW = 1_800_000_015.0
STEP = int(NOW // 30)


@pytest.fixture
def secret() -> str:
    return new_secret()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


# --- TOTP, pure -----------------------------------------------------------------


def test_secret_is_160_bits_of_base32() -> None:
    secret = new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert new_secret() != secret


def test_provisioning_uri_names_issuer_and_account(secret: str) -> None:
    uri = provisioning_uri(secret, "anna.svensson")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert "anna.svensson" in parts.path
    query = parse_qs(parts.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["GVI-stöd"]


def test_current_code_returns_its_step(secret: str) -> None:
    assert verify_totp(secret, code_at(secret, STEP), None, now=NOW) == STEP
    assert verify_totp(secret, pyotp.TOTP(secret).at(NOW), None, now=NOW) == STEP


def test_datetime_now_is_accepted(secret: str) -> None:
    when = datetime.fromtimestamp(NOW, tz=UTC)
    assert verify_totp(secret, code_at(secret, STEP), None, now=when) == STEP


def test_a_code_works_once(secret: str) -> None:
    code = code_at(secret, STEP)
    step = verify_totp(secret, code, None, now=NOW)
    assert step == STEP
    # The caller stored STEP: the same code is now refused, even a second later.
    assert verify_totp(secret, code, step, now=NOW + 1) is None
    # And so is an older code, though still inside the window.
    assert verify_totp(secret, code_at(secret, STEP - 1), step, now=NOW) is None
    # The next step's code is fine.
    assert verify_totp(secret, code_at(secret, STEP + 1), step, now=NOW + 30) == STEP + 1


def test_window_tolerates_one_step_of_drift(secret: str) -> None:
    assert verify_totp(secret, code_at(secret, STEP - 1), None, now=NOW) == STEP - 1
    assert verify_totp(secret, code_at(secret, STEP + 1), None, now=NOW) == STEP + 1
    assert verify_totp(secret, code_at(secret, STEP - 2), None, now=NOW) is None
    assert verify_totp(secret, code_at(secret, STEP + 2), None, now=NOW) is None
    assert verify_totp(secret, code_at(secret, STEP - 1), None, now=NOW, valid_window=0) is None
    assert verify_totp(secret, code_at(secret, STEP - 2), None, now=NOW, valid_window=2) == STEP - 2
    with pytest.raises(ValueError, match="valid_window"):
        verify_totp(secret, code_at(secret, STEP), None, now=NOW, valid_window=5)


def test_previous_code_is_usable_once_after_current_is_not(secret: str) -> None:
    # Using the step-1 code leaves the current step's code usable.
    step = verify_totp(secret, code_at(secret, STEP - 1), None, now=NOW)
    assert verify_totp(secret, code_at(secret, STEP), step, now=NOW) == STEP


def test_code_formats(secret: str) -> None:
    code = code_at(secret, STEP)
    assert verify_totp(secret, f" {code[:3]} {code[3:]} ", None, now=NOW) == STEP
    assert verify_totp(secret, code[:5], None, now=NOW) is None
    assert verify_totp(secret, code + "0", None, now=NOW) is None
    assert verify_totp(secret, "", None, now=NOW) is None
    assert verify_totp(secret, "abcdef", None, now=NOW) is None
    # Non-ASCII digits are not digits here.
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert verify_totp(secret, arabic, None, now=NOW) is None


def test_wrong_code_is_refused(secret: str) -> None:
    window = {code_at(secret, s) for s in (STEP - 1, STEP, STEP + 1)}
    wrong = next(c for c in (f"{n:06d}" for n in range(10)) if c not in window)
    assert verify_totp(secret, wrong, None, now=NOW) is None


def test_sealed_secret_is_bound_to_its_user(secret: str) -> None:
    sealed = seal_secret(secret, 7)
    assert secret.encode() not in sealed
    assert open_secret(sealed, 7) == secret
    with pytest.raises(InvalidTag):
        open_secret(sealed, 8)


# --- TOTP against the database ----------------------------------------------------


async def _user(username: str = "anna", secret: str | None = None) -> int:
    user = User(username=username, display_name=username.title(), role="police", password_hash="x")
    await user.save()
    user_id: int = user.id
    if secret:
        await User.update({User.totp_secret_enc: seal_secret(secret, user_id)}).where(
            User._meta.primary_key == user_id
        )
    return user_id


async def test_use_totp_code_spends_the_step(db: None, secret: str) -> None:
    user_id = await _user(secret=secret)
    code = code_at(secret, STEP)
    assert await use_totp_code(user_id, code, now=NOW)
    assert not await use_totp_code(user_id, code, now=NOW + 5)
    assert not await use_totp_code(user_id, code_at(secret, STEP - 1), now=NOW)
    row = await User.select(User.totp_last_step).first()
    assert row is not None
    assert row["totp_last_step"] == STEP
    assert await use_totp_code(user_id, code_at(secret, STEP + 1), now=NOW + 30)


async def test_use_totp_code_races_have_one_winner(db: None, secret: str) -> None:
    user_id = await _user(secret=secret)
    code = code_at(secret, STEP)
    results = await asyncio.gather(*(use_totp_code(user_id, code, now=NOW) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]


async def test_use_totp_code_without_enrolment_or_user(db: None, secret: str) -> None:
    user_id = await _user()
    assert not await use_totp_code(user_id, code_at(secret, STEP), now=NOW)
    assert not await use_totp_code(user_id + 999, code_at(secret, STEP), now=NOW)


async def test_secret_sealed_for_another_user_does_not_open(db: None, secret: str) -> None:
    user_id = await _user(secret=secret)
    other_id = await _user("bertil")
    await User.update({User.totp_secret_enc: seal_secret(secret, user_id)}).where(
        User._meta.primary_key == other_id
    )
    with pytest.raises(InvalidTag):
        await use_totp_code(other_id, code_at(secret, STEP), now=NOW)


# --- recovery codes, pure ------------------------------------------------------------


def test_recovery_codes_are_friendly_distinct_and_60_bits() -> None:
    codes = generate_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}", code)
        assert not set(code.replace("-", "")) - set(RECOVERY_ALPHABET)
    assert not set("ilou") & set(RECOVERY_ALPHABET)
    assert len(RECOVERY_ALPHABET) == 32
    assert 12 * math.log2(len(RECOVERY_ALPHABET)) >= 60
    assert len(generate_recovery_codes(3)) == 3


def test_recovery_code_hash_is_argon2id_and_verifies_loosely_typed_input() -> None:
    code = "7kq2-m9xd-4hzt"
    stored = hash_recovery_code(code)
    assert stored.startswith("$argon2id$")
    assert code not in stored
    assert "7kq2m9xd4hzt" not in stored
    assert verify_recovery_code(code, stored)
    assert verify_recovery_code("7KQ2M9XD4HZT", stored)
    assert verify_recovery_code(" 7kq2 m9xd 4hzt ", stored)
    assert verify_recovery_code("7kq2–m9xd–4hzt", stored)  # en dash from a word processor
    assert not verify_recovery_code("7kq2-m9xd-4hzv", stored)
    assert not verify_recovery_code("", stored)
    assert not verify_recovery_code(code, "not a hash")


def test_misread_letters_fold_to_digits() -> None:
    stored = hash_recovery_code("1000-1111-abcd")
    assert verify_recovery_code("IOOO-lLi1-ABCD", stored)
    assert normalise_recovery_code("u000-0000-0000") is None  # u is not in the alphabet
    assert normalise_recovery_code("0000-0000-000") is None
    with pytest.raises(ValueError, match="not a recovery code"):
        hash_recovery_code("not-a-code")


def test_recovery_codes_use_their_own_lighter_argon2_in_production() -> None:
    from argon2 import extract_parameters

    totp.configure_recovery_hasher(None)
    params = extract_parameters(hash_recovery_code("7kq2-m9xd-4hzt"))
    assert params == totp.RECOVERY_CODE_PARAMETERS
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2


# --- recovery codes against the database ------------------------------------------------


async def test_recovery_code_works_once(db: None) -> None:
    user_id = await _user()
    codes = generate_recovery_codes()
    await store_recovery_codes(user_id, codes)
    assert await count_unused_recovery_codes(user_id) == 10
    stored = await RecoveryCode.select(RecoveryCode.code_hash)
    assert all(row["code_hash"].startswith("$argon2id$") for row in stored)
    assert not set(codes) & {row["code_hash"] for row in stored}

    assert await use_recovery_code(user_id, codes[3].upper().replace("-", ""))
    assert not await use_recovery_code(user_id, codes[3])
    assert await count_unused_recovery_codes(user_id) == 9
    used = await RecoveryCode.select(RecoveryCode.used_at).where(RecoveryCode.used_at.is_not_null())
    assert len(used) == 1

    assert not await use_recovery_code(user_id, "0000-0000-0000")
    assert not await use_recovery_code(user_id, "rubbish")


async def test_a_code_belongs_to_its_user(db: None) -> None:
    anna, bertil = await _user("anna"), await _user("bertil")
    anna_codes = generate_recovery_codes(2)
    await store_recovery_codes(anna, anna_codes)
    await store_recovery_codes(bertil, generate_recovery_codes(2))
    assert not await use_recovery_code(bertil, anna_codes[0])
    assert await use_recovery_code(anna, anna_codes[0])


async def test_storing_new_codes_replaces_unused_and_keeps_used(db: None) -> None:
    user_id = await _user()
    old = generate_recovery_codes(3)
    await store_recovery_codes(user_id, old)
    assert await use_recovery_code(user_id, old[0])
    new = generate_recovery_codes(4)
    await store_recovery_codes(user_id, new)
    assert await count_unused_recovery_codes(user_id) == 4
    assert await RecoveryCode.count() == 5  # four new + the used one as history
    assert not await use_recovery_code(user_id, old[1])
    assert await use_recovery_code(user_id, new[1])


async def test_recovery_code_races_have_one_winner(db: None) -> None:
    user_id = await _user()
    codes = generate_recovery_codes(3)
    await store_recovery_codes(user_id, codes)
    results = await asyncio.gather(*(use_recovery_code(user_id, codes[1]) for _ in range(4)))
    assert sorted(results) == [False] * 3 + [True]
    assert await count_unused_recovery_codes(user_id) == 2
