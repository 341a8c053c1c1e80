"""Password hashing (argon2id), the policy, and the dummy check for unknown users."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from gvi.accounts import passwords
from gvi.accounts.passwords import (
    COMMON,
    CONTAINS_USERNAME,
    PRODUCTION_PARAMETERS,
    TOO_LONG,
    TOO_SHORT,
    TOO_SIMPLE,
    WeakHashParameters,
    check_password_policy,
    configure_hasher,
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from gvi.settings import Settings

GOOD = "blåbärssoppa vid vasaloppet"


def codes(password: str, **kwargs: Any) -> list[str]:
    return [p.code for p in check_password_policy(password, **kwargs)]


# --- hashing --------------------------------------------------------------------


def test_hash_is_argon2id_with_a_fresh_salt() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$v=19$")
    assert first != second
    assert verify_password(first, GOOD)
    assert verify_password(second, GOOD)


def test_production_parameters_meet_owasp_and_are_the_default() -> None:
    # OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1.
    assert PRODUCTION_PARAMETERS.type is Type.ID
    assert PRODUCTION_PARAMETERS.memory_cost >= 19 * 1024
    assert PRODUCTION_PARAMETERS.time_cost >= 2
    assert PRODUCTION_PARAMETERS.salt_len >= 16
    configure_hasher(None)
    produced = hash_password(GOOD)
    assert produced.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert extract_parameters(produced) == PRODUCTION_PARAMETERS
    assert verify_password(produced, GOOD)
    assert not needs_rehash(produced)


def test_verify_never_raises() -> None:
    stored = hash_password(GOOD)
    assert verify_password(stored, "fel lösenord helt och hållet") is False
    assert verify_password(stored, "") is False
    assert verify_password("not a hash", GOOD) is False
    assert verify_password("", GOOD) is False
    assert verify_password("$argon2id$v=19$m=8,t=1,p=1$garbage", GOOD) is False


def test_unicode_forms_of_the_same_password_match() -> None:
    composed = "smörgåstårta med räkor"
    decomposed = unicodedata.normalize("NFD", composed)  # as macOS may send it
    assert composed != decomposed
    assert verify_password(hash_password(composed), decomposed)


def test_needs_rehash_after_a_parameter_change_and_for_garbage() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(GOOD)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password(GOOD))
    assert needs_rehash("not a hash")
    # An old hash still verifies, so the login that notices can rehash it.
    assert verify_password(old, GOOD)


def test_weaker_parameters_are_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "get_settings", lambda: Settings(env="production"))
    with pytest.raises(WeakHashParameters):
        configure_hasher(passwords.TEST_PARAMETERS)
    configure_hasher(None)  # production's own parameters are fine


def test_only_argon2id_is_accepted() -> None:
    from dataclasses import replace

    with pytest.raises(WeakHashParameters):
        configure_hasher(replace(passwords.TEST_PARAMETERS, type=Type.I))


async def test_async_variants_agree() -> None:
    stored = await passwords.hash_password_async(GOOD)
    assert await passwords.verify_password_async(stored, GOOD)
    assert not await passwords.verify_password_async(stored, GOOD + "x")
    assert await passwords.verify_dummy_async(GOOD) is False


# --- the dummy check for unknown users --------------------------------------------


def test_dummy_verification_runs_argon2_with_current_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        seen.append(hash if isinstance(hash, str) else hash.decode())
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    assert verify_dummy("anything at all") is False
    assert verify_dummy() is False
    assert len(seen) == 2
    assert extract_parameters(seen[0]) == extract_parameters(hash_password(GOOD))


def test_dummy_takes_about_as_long_as_a_real_check() -> None:
    # Production cost, so the work dominates noise; min-of-n is robust to load.
    configure_hasher(None)
    stored = hash_password(GOOD)
    verify_dummy()  # the dummy hash is made on first use; not part of the timing

    def fastest(fn: Any) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return min(runs)

    real = fastest(lambda: verify_password(stored, "wrong password here"))
    dummy = fastest(lambda: verify_dummy("wrong password here"))
    assert 0.3 < dummy / real < 3


# --- policy ---------------------------------------------------------------------


def test_a_good_password_passes() -> None:
    assert check_password_policy(GOOD, username="anna.svensson") == []
    assert check_password_policy("korrekt-hast-batteri-häftklammer") == []
    assert check_password_policy("x7#Lq!vR2m@Z9pK") == []


def test_length_limits() -> None:
    assert codes("kort") == [TOO_SHORT]
    assert TOO_SHORT in codes("elva tecken")  # 11
    assert codes("tolv tecken!") == []  # exactly 12
    assert codes("ä" * 3 + "bcdefghijkl") == []  # 14 characters, not bytes
    long_ok = "ord " * 32  # exactly 128
    assert TOO_LONG not in codes(long_ok.strip() + "x")
    assert TOO_LONG in codes("a1b2c3d4e5" * 13)  # 130


def test_problems_carry_a_key_and_swedish_text() -> None:
    (problem,) = check_password_policy("kort")
    assert problem.code == "password.too_short"
    assert "minst 12 tecken" in problem.message_sv
    assert str(problem) == problem.message_sv


@pytest.mark.parametrize(
    "common",
    [
        "password1234",
        "Password1234",
        "PASSWORD1234",
        "sommar2023",
        "Sommar2023!!",
        "lösenord123",
        "Lösenord123456",
        "LOSENORD2024!",
        "hejhej123456",
        "qwertyuiop123",
        "P@ssw0rd1234",
        "123456789012",
        "1q2w3e4r5t6y",
        "jagälskardig123",
        "Hammarby1897!",
        "Slutaskjut2024",
        "gvi-tracker2025",
        "Socialtjänsten1",
        "Välkommen12345",
    ],
)
def test_common_passwords_are_refused_whatever_the_case(common: str) -> None:
    assert COMMON in codes(common)


def test_list_is_loaded_case_folded_and_sizeable() -> None:
    listed = passwords.common_passwords()
    assert len(listed) >= 1000
    assert {"sommar2023", "lösenord123", "hejhej123456", "password"} <= listed
    assert all(word == word.casefold() for word in listed)
    assert not any(word.startswith("#") for word in listed)


def test_repetitive_passwords_are_refused() -> None:
    assert codes("aaaaaaaaaaaaaaaa") in ([TOO_SIMPLE], [COMMON])
    assert TOO_SIMPLE in codes("abababababababab")


def test_password_containing_the_username_is_refused() -> None:
    assert codes("AnnaSvensson-gillar-fika", username="annasvensson") == [CONTAINS_USERNAME]
    assert codes("mitt lösen är kalle.berg!", username="Kalle.Berg") == [CONTAINS_USERNAME]
    # Two-letter usernames are fragments of ordinary words; no false refusals.
    assert codes(GOOD, username="va") == []
    assert codes(GOOD, username="") == []


def test_context_words_are_refused_as_the_core() -> None:
    assert COMMON in codes("Exempelby2024!!", context_words=("Exempelby",))
    assert codes("exempelbyns bästa bageri", context_words=("Exempelby",)) == []


def test_several_problems_at_once() -> None:
    assert set(codes("anna123", username="anna")) == {TOO_SHORT, CONTAINS_USERNAME, COMMON}
