"""Key rotation: add a key, re-encrypt everything, retire the old key, lose nothing.

The services read the test's own key file (see ``conftest.keys``), as an app
restarted after each key-file change would; the keyrings used to check the
result are built explicitly from that file.
"""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from typing import Any

import pyotp
import pytest
from cryptography.exceptions import InvalidTag

from gvi.access.principal import Principal
from gvi.accounts import totp
from gvi.accounts.tables import User
from gvi.audit.tables import AuditEvent
from gvi.people import services as people_services
from gvi.people.services import Identity, create_person, find_by_pin, read_identity
from gvi.people.tables import PersonIdentity
from gvi.security import rotation
from gvi.security.crypto import (
    KeyError_,
    Keyring,
    aad,
    ciphertext_key_id,
    load_key_file,
    new_key_line,
    parse_keyring,
)
from gvi.security.rotation import KeySource, RotationError
from tests.factories import make_user
from tests.security.conftest import Keys

IDENTITIES = [
    Identity("Anna Andersson", "19900101-1234", "Storgatan 1, 123 45 Sundby", "070-123 45 67"),
    Identity("Bo Berg", "198002022345", "Lillvägen 2", None),
    Identity("Cecilia Ceder", None, "Torget 3", "073-999 00 11"),
    Identity("Dan Dahl", "20010303-3456", None, None),
    Identity("Eva Ek", "19751231-9999", "Åvägen 5, lgh 1102", "08-123 456"),
    Identity("Östen Öberg", "19660606-6666", "Björkvägen 6", "0701-66 66 66"),
]
ENC_COLUMNS = ("name_enc", "pin_enc", "address_enc", "phone_enc")


async def _people(police: Principal, municipality: int) -> dict[int, Identity]:
    made: dict[int, Identity] = {}
    for identity in IDENTITIES:
        person = await create_person(police, municipality_id=municipality, identity=identity)
        made[int(person.id)] = identity
    # A person without identity has no row to rotate; it must not trip anything.
    await create_person(police, municipality_id=municipality)
    return made


async def _users(n: int = 3) -> dict[int, str]:
    users: dict[int, str] = {}
    for i in range(n):
        user_id, secret = await make_user(
            f"rot.user{i}", "police", totp_secret=pyotp.random_base32()
        )
        assert secret is not None
        users[user_id] = secret
    return users


async def _identity_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await PersonIdentity.select().order_by(PersonIdentity.id)
    return rows


async def _totp_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await User.select(User.id, User.totp_secret_enc)
        .where(User.totp_secret_enc.is_not_null())
        .order_by(User.id)
    )
    return rows


def _decrypt_row(keyring: Keyring, row: dict[str, Any]) -> Identity:
    def dec(field: str) -> str | None:
        blob = row[f"{field}_enc"]
        if blob is None:
            return None
        return keyring.decrypt(bytes(blob), aad("person_identity", field, row["person"]))

    return Identity(dec("name"), dec("pin"), dec("address"), dec("phone"))


async def _assert_everything_reads(
    keyring: Keyring, people: dict[int, Identity], users: dict[int, str], key_id: str
) -> None:
    rows = await _identity_rows()
    assert {r["person"] for r in rows} == set(people)
    for row in rows:
        assert row["key_id"] == key_id
        for column in ENC_COLUMNS:
            if row[column] is not None:
                assert ciphertext_key_id(bytes(row[column])) == key_id
        assert _decrypt_row(keyring, row) == people[row["person"]]
    totp_rows = await _totp_rows()
    assert {r["id"] for r in totp_rows} == set(users)
    for row in totp_rows:
        blob = bytes(row["totp_secret_enc"])
        assert ciphertext_key_id(blob) == key_id
        assert keyring.decrypt(blob, aad("app_user", "totp_secret", row["id"])) == users[row["id"]]


async def _assert_lookups(police: Principal, people: dict[int, Identity]) -> None:
    for person_id, identity in people.items():
        assert await read_identity(police, person_id) == identity
        if identity.pin:
            found = await find_by_pin(police, identity.pin)
            assert found is not None
            assert found.id == person_id
            # Other spellings of the same number find the same person.
            digits = "".join(ch for ch in identity.pin if ch.isdigit())
            found = await find_by_pin(police, digits)
            assert found is not None
            assert found.id == person_id
    assert await find_by_pin(police, "19990909-0000") is None


async def _data_key_events(after_seq: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await AuditEvent.select(
            AuditEvent.action,
            AuditEvent.target_id,
            AuditEvent.details,
            AuditEvent.actor_username,
            AuditEvent.user_agent,
        )
        .where((AuditEvent.target_type == "data_key") & (AuditEvent.seq > after_seq))
        .order_by(AuditEvent.seq)
    )
    for row in rows:
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


async def _head_seq() -> int:
    last = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(last["seq"]) if last else 0


# --- the whole cycle ------------------------------------------------------------------


async def test_rotate_and_retire_lose_nothing(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    users = await _users()
    key_a = keys.keyring()
    await _assert_everything_reads(key_a, people, users, "kA")
    await _assert_lookups(police, people)
    before_index = {r["person"]: r["pin_index"] for r in await _identity_rows()}
    start_seq = await _head_seq()

    # Rotate to kB, two rows per batch, watching the progress.
    seen: list[tuple[str, int, int]] = []
    source = KeySource(key_file=keys.path)
    result = await rotation.rotate(
        source,
        new_key_id="kB",
        batch_size=2,
        progress=lambda *a: seen.append(a),
    )
    assert result.key_added
    assert result.active_key_id == "kB"
    assert result.reencrypted is not None
    assert result.reencrypted.identities_reencrypted == len(people)
    assert result.reencrypted.totp_reencrypted == len(users)
    assert result.reencrypted.failures == []
    assert seen[-1][0] == rotation.STAGE_TOTP
    identity_progress = [s for s in seen if s[0] == rotation.STAGE_IDENTITIES]
    assert [d for _, d, _ in identity_progress] == [2, 4, 6]

    # The file: kB first, kA kept, the comment kept, mode 0600.
    text = keys.path.read_text()
    assert text.startswith("kB:")
    assert "# test data keys" in text
    assert stat.S_IMODE(keys.path.stat().st_mode) == 0o600
    key_ab = load_key_file(keys.path)
    assert key_ab.key_ids == ("kB", "kA")
    assert key_ab.keys[1] == key_a.keys[0]

    await _assert_everything_reads(key_ab, people, users, "kB")
    # The blind index did not move: it still comes from the oldest key, kA.
    assert {r["person"]: r["pin_index"] for r in await _identity_rows()} == before_index
    await _assert_lookups(police, people)

    # kB alone cannot read what was written before the rotation.
    only_b = Keyring(key_ab.keys[:1])
    with pytest.raises(KeyError_):
        only_b.decrypt(key_a.encrypt("x", "t.c.1"), "t.c.1")

    # Running it again is a no-op.
    again = await rotation.rotate(source, new_key_id="kB", batch_size=2)
    assert not again.key_added
    assert again.reencrypted is not None
    assert again.reencrypted.identities_reencrypted == again.reencrypted.totp_reencrypted == 0
    assert again.reencrypted.skipped == len(people) + len(users)
    assert load_key_file(keys.path).key_ids == ("kB", "kA")

    # Retire kA: the oldest, so every index is recomputed before the line goes.
    retired = await rotation.retire(source, "kA", batch_size=4)
    assert retired.index_changed
    assert retired.removed_from_file
    assert retired.reindexed is not None
    assert retired.reindexed.updated == sum(1 for i in people.values() if i.pin)
    key_b = load_key_file(keys.path)
    assert key_b.key_ids == ("kB",)
    assert stat.S_IMODE(keys.path.stat().st_mode) == 0o600
    assert "kA:" not in keys.path.read_text()

    # Nothing lost, and lookups work with [kB] only.
    await _assert_everything_reads(key_b, people, users, "kB")
    after_index = {r["person"]: r["pin_index"] for r in await _identity_rows()}
    for person_id, identity in people.items():
        if identity.pin:
            assert after_index[person_id] == key_b.blind_index(identity.pin)
            assert after_index[person_id] != before_index[person_id]
        else:
            assert after_index[person_id] is None
    await _assert_lookups(police, people)

    # TOTP still signs people in.
    for user_id, secret in users.items():
        assert await totp.use_totp_code(user_id, pyotp.TOTP(secret).now())

    # Audited, by the system, with ids and counts only.
    events = await _data_key_events(start_seq)
    operations = [e["details"]["operation"] for e in events]
    assert operations == [
        "add_key",
        "reencrypt_start",
        "reencrypt",
        "reencrypt_start",
        "reencrypt",
        "retire",
    ]
    assert all(e["action"] == "data_key:rotate" for e in events)
    assert all(e["actor_username"] == "system" for e in events)
    assert all(e["user_agent"] == "gvi rotate-key" for e in events)
    assert events[2]["details"]["identities"] == len(people)
    assert events[2]["details"]["totp_secrets"] == len(users)
    assert events[5]["target_id"] == "kA"
    assert events[5]["details"]["blind_index_updated"] == retired.reindexed.updated
    dumped = json.dumps([e["details"] for e in events], ensure_ascii=False)
    for identity in people.values():
        for value in asdict(identity).values():
            assert value is None or value not in dumped


async def test_ciphertext_is_bound_to_its_row_and_column(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    await rotation.rotate(KeySource(key_file=keys.path), new_key_id="kB")
    keyring = load_key_file(keys.path)
    rows = await _identity_rows()
    first, second = rows[0], rows[1]
    name = bytes(first["name_enc"])
    assert keyring.decrypt(name, aad("person_identity", "name", first["person"])) == (
        people[first["person"]].name
    )
    # Another row, another column, another table: all refused.
    for wrong in (
        aad("person_identity", "name", second["person"]),
        aad("person_identity", "address", first["person"]),
        aad("app_user", "totp_secret", first["person"]),
    ):
        with pytest.raises(InvalidTag):
            keyring.decrypt(name, wrong)

    # Copied into the other row in the database, it does not read there either.
    await PersonIdentity.update({PersonIdentity.name_enc: name}).where(
        PersonIdentity.id == second["id"]
    )
    with pytest.raises(InvalidTag):
        await read_identity(police, second["person"])
    assert await read_identity(police, first["person"]) == people[first["person"]]


async def test_moved_ciphertext_is_reported_not_resealed(
    keys: Keys, police: Principal, municipality: int
) -> None:
    """A ciphertext copied to another row before the rotation must not come out of it
    as a valid ciphertext for that row: the row is left alone, and kA cannot go."""
    people = await _people(police, municipality)
    rows = await _identity_rows()
    victim = rows[1]
    await PersonIdentity.update({PersonIdentity.address_enc: rows[0]["address_enc"]}).where(
        PersonIdentity.id == victim["id"]
    )
    source = KeySource(key_file=keys.path)
    result = await rotation.rotate(source, new_key_id="kB", batch_size=3)
    assert result.reencrypted is not None
    assert result.reencrypted.failures == [
        rotation.Failure("person_identity", victim["id"], "address_enc", "integrity")
    ]
    assert result.reencrypted.identities_reencrypted == len(people) - 1
    after = {r["id"]: r for r in await _identity_rows()}
    # The victim row is byte for byte as it was (still under kA, key_id kA).
    assert after[victim["id"]]["key_id"] == "kA"
    for column in ENC_COLUMNS:
        if column != "address_enc":
            assert after[victim["id"]][column] == victim[column]
    with pytest.raises(RotationError, match="still use key 'kA'"):
        await rotation.retire(source, "kA")
    assert load_key_file(keys.path).key_ids == ("kB", "kA")


async def test_interrupted_rotation_resumes(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    users = await _users(2)
    source = KeySource(key_file=keys.path)

    class Stop(Exception):
        pass

    def stop_after_first_batch(stage: str, done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        await rotation.rotate(
            source, new_key_id="kB", batch_size=2, progress=stop_after_first_batch
        )
    # The first batch was committed, the rest was not touched.
    rows = await _identity_rows()
    assert [r["key_id"] for r in rows] == ["kB", "kB"] + ["kA"] * (len(people) - 2)
    usage = await rotation.key_usage()
    assert usage.identities == {"kB": 2, "kA": len(people) - 2}
    assert usage.totp == {"kA": len(users)}
    # Mid-way, everything still reads with both keys, and kA cannot be retired.
    both = load_key_file(keys.path)
    for row in rows:
        assert _decrypt_row(both, row) == people[row["person"]]
    with pytest.raises(RotationError, match="still use key"):
        await rotation.retire(source, "kA")

    # Run again without naming a key: it finishes kB and adds no key.
    resumed = await rotation.rotate(source, batch_size=2)
    assert not resumed.key_added
    assert resumed.active_key_id == "kB"
    assert resumed.reencrypted is not None
    assert resumed.reencrypted.identities_reencrypted == len(people) - 2
    assert resumed.reencrypted.totp_reencrypted == len(users)
    assert load_key_file(keys.path).key_ids == ("kB", "kA")
    await _assert_everything_reads(load_key_file(keys.path), people, users, "kB")

    # With nothing left to do, the same command starts a new rotation.
    fresh = await rotation.rotate(source)
    assert fresh.key_added
    assert fresh.active_key_id not in {"kA", "kB"}
    keyring = load_key_file(keys.path)
    assert keyring.key_ids == (fresh.active_key_id, "kB", "kA")
    await _assert_everything_reads(keyring, people, users, fresh.active_key_id)


async def test_a_row_written_with_the_old_key_after_rotation_is_swept(
    keys: Keys, police: Principal, municipality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app instance not yet restarted still writes with kA; retiring waits for a sweep."""
    source = KeySource(key_file=keys.path)
    people = await _people(police, municipality)
    old_only = keys.keyring()
    await rotation.rotate(source, new_key_id="kB")
    # A stale instance (keyring [kA]) creates someone.
    late = Identity("Sen Skrivare", "19880808-8888", "Sena gatan 8", None)
    with monkeypatch.context() as stale:
        stale.setattr(people_services, "get_keyring", lambda: old_only)
        person = await create_person(police, municipality_id=municipality, identity=late)
    people[int(person.id)] = late
    with pytest.raises(RotationError, match="1 row"):
        await rotation.retire(source, "kA")
    swept = await rotation.rotate(source, new_key_id="kB")
    assert swept.reencrypted is not None
    assert swept.reencrypted.identities_reencrypted == 1
    await rotation.retire(source, "kA")
    await _assert_everything_reads(load_key_file(keys.path), people, {}, "kB")
    await _assert_lookups(police, people)


# --- refusals and edges ----------------------------------------------------------------


async def test_retire_refuses_active_and_unknown_keys_and_bad_ids(keys: Keys, db: None) -> None:
    source = KeySource(key_file=keys.path)
    with pytest.raises(RotationError, match="active key"):
        await rotation.retire(source, "kA")
    with pytest.raises(RotationError, match="not configured"):
        await rotation.retire(source, "kZ")
    await rotation.rotate(source, new_key_id="kB")
    with pytest.raises(RotationError, match="active key"):
        await rotation.retire(source, "kB")
    with pytest.raises(RotationError, match="configured but not active"):
        await rotation.rotate(source, new_key_id="kA")
    with pytest.raises(RotationError, match="key id"):
        await rotation.rotate(source, new_key_id="bad id:,")
    with pytest.raises(RotationError, match="key id"):
        await rotation.rotate(source, new_key_id="k" * 17)
    assert load_key_file(keys.path).key_ids == ("kB", "kA")


async def test_retiring_a_newer_key_keeps_the_index(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    source = KeySource(key_file=keys.path)
    await rotation.rotate(source, new_key_id="kB")
    await rotation.rotate(source, new_key_id="kC")
    before = {r["id"]: r["pin_index"] for r in await _identity_rows()}
    retired = await rotation.retire(source, "kB")
    assert not retired.index_changed
    assert retired.reindexed is None
    assert load_key_file(keys.path).key_ids == ("kC", "kA")
    assert {r["id"]: r["pin_index"] for r in await _identity_rows()} == before
    await _assert_lookups(police, people)
    await rotation.retire(source, "kA")
    assert load_key_file(keys.path).key_ids == ("kC",)
    await _assert_everything_reads(load_key_file(keys.path), people, {}, "kC")
    await _assert_lookups(police, people)


async def test_dry_run_writes_nothing(keys: Keys, police: Principal, municipality: int) -> None:
    people = await _people(police, municipality)
    users = await _users(1)
    source = KeySource(key_file=keys.path)
    file_before = keys.path.read_bytes()
    rows_before = await _identity_rows()
    totp_before = await _totp_rows()

    result = await rotation.rotate(source, new_key_id="kB", dry_run=True)
    assert result.key_added
    assert result.dry_run
    assert result.reencrypted is not None
    assert result.reencrypted.identities_reencrypted == len(people)
    assert result.reencrypted.totp_reencrypted == len(users)
    assert keys.path.read_bytes() == file_before
    assert await _identity_rows() == rows_before
    assert await _totp_rows() == totp_before

    await rotation.rotate(source, new_key_id="kB")
    rows_mid = await _identity_rows()
    retired = await rotation.retire(source, "kA", dry_run=True)
    assert retired.dry_run
    assert not retired.removed_from_file
    assert retired.reindexed is not None
    assert retired.reindexed.updated == 5
    assert load_key_file(keys.path).key_ids == ("kB", "kA")
    assert await _identity_rows() == rows_mid
    await _assert_lookups(police, people)


async def test_env_keys_are_printed_not_written(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    env_a = keys.path.read_text().splitlines()[1]
    rows_before = await _identity_rows()

    made = await rotation.rotate(KeySource(env_value=env_a), new_key_id="kB")
    assert made.key_added
    assert made.reencrypted is None
    assert made.new_env_value
    assert await _identity_rows() == rows_before  # nothing re-encrypted before the restart
    new_env = parse_keyring(made.new_env_value)
    assert new_env.key_ids == ("kB", "kA")
    assert new_env.keys[1] == parse_keyring(env_a).keys[0]

    # The operator sets it and restarts; the same command then resumes the pass.
    keys.path.write_text(made.new_env_value.replace(",", "\n") + "\n")
    resumed = await rotation.rotate(KeySource(env_value=made.new_env_value), new_key_id="kB")
    assert resumed.reencrypted is not None
    assert resumed.reencrypted.identities_reencrypted == len(people)
    retired = await rotation.retire(KeySource(env_value=made.new_env_value), "kA")
    assert not retired.removed_from_file
    assert retired.new_env_value is not None
    assert parse_keyring(retired.new_env_value).key_ids == ("kB",)
    keys.path.write_text(retired.new_env_value + "\n")
    await _assert_everything_reads(keys.keyring(), people, {}, "kB")
    await _assert_lookups(police, people)


async def test_reindex_repairs_an_index_written_with_the_old_key(
    keys: Keys, police: Principal, municipality: int
) -> None:
    people = await _people(police, municipality)
    source = KeySource(key_file=keys.path)
    await rotation.rotate(source, new_key_id="kB")
    stale = load_key_file(keys.path)  # an instance still running with [kB, kA]
    await rotation.retire(source, "kA")
    victim = next(pid for pid, i in people.items() if i.pin)
    pin = people[victim].pin
    assert pin is not None
    await PersonIdentity.update({PersonIdentity.pin_index: stale.blind_index(pin)}).where(
        PersonIdentity.person == victim
    )
    assert await find_by_pin(police, pin) is None
    result = await rotation.reindex(source)
    assert result.updated == 1
    found = await find_by_pin(police, pin)
    assert found is not None
    assert found.id == victim
    assert (await rotation.reindex(source)).updated == 0


def test_key_file_edits_keep_comments_and_refuse_surprises(tmp_path: Any) -> None:
    path = tmp_path / "keys"
    a, b, c = new_key_line("kA"), new_key_line("kB"), new_key_line("kC")
    path.write_text(f"# production keys\n{b},{a}\n\n# old\n{c}\n")
    path.chmod(0o644)
    assert rotation.remove_key(path, "kA").key_ids == ("kB", "kC")
    assert path.read_text() == f"# production keys\n{b}\n\n# old\n{c}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    d = new_key_line("kD")
    assert rotation.prepend_key(path, d).key_ids == ("kD", "kB", "kC")
    assert path.read_text().startswith(d + "\n# production keys\n")
    with pytest.raises(RotationError, match="already"):
        rotation.prepend_key(path, new_key_line("kB"))
    with pytest.raises(RotationError, match="not in"):
        rotation.remove_key(path, "kA")
    assert rotation.remove_key(path, "kC").key_ids == ("kD", "kB")
    assert not list(tmp_path.glob(".keys.*.tmp"))
    # A duplicated id is refused before anything is touched.
    path.write_text(f"{a}\n{new_key_line('kA')}\n")
    with pytest.raises(RotationError, match="more than once"):
        KeySource(key_file=path).load()


async def test_a_second_rotation_on_the_same_file_is_refused(keys: Keys, db: None) -> None:
    source = KeySource(key_file=keys.path)
    with rotation._key_file_lock(source), pytest.raises(RotationError, match="another rotation"):
        await rotation.rotate(source, new_key_id="kB")
    assert load_key_file(keys.path).key_ids == ("kA",)


def test_unparsable_key_file_is_a_rotation_error(tmp_path: Any) -> None:
    path = tmp_path / "keys"
    path.write_text("kA:not base64!\n")
    with pytest.raises(RotationError, match="do not parse"):
        KeySource(key_file=path).load()
    with pytest.raises(RotationError, match="no key file"):
        KeySource(key_file=tmp_path / "missing").load()


# --- the command line -------------------------------------------------------------------


def test_cli_with_env_keys_prints_the_new_value(db: None) -> None:
    """The tests run with GVI_DATA_KEY (k1): the command prints the value to set."""
    from click.testing import CliRunner

    from gvi.cli import main
    from gvi.settings import get_settings

    configured = get_settings().data_key
    runner = CliRunner()
    made = runner.invoke(main, ["rotate-key", "--new-key-id", "k9"])
    assert made.exit_code == 0, made.output
    lines = [line for line in made.stdout.splitlines() if line.startswith("k9:")]
    assert len(lines) == 1
    assert parse_keyring(lines[0]).key_ids == ("k9", "k1")
    assert lines[0].endswith("," + configured)

    refused = runner.invoke(main, ["rotate-key", "--retire", "k1"])
    assert refused.exit_code == 1
    assert "active key" in refused.output
    clash = runner.invoke(main, ["rotate-key", "--retire", "k1", "--reindex"])
    assert clash.exit_code == 2
