"""The CSV importer on its own: no database, no app (gvi.groups.importer is pure)."""

from __future__ import annotations

from datetime import date

from gvi.groups import forms, importer
from gvi.groups.importer import Lookups, Problem, check_upload, parse_upload
from gvi.groups.tables import Confidence, Group, GroupRelation, Membership

GROUPS_HEADER = "name,municipality_code,area,status,aliases,notes\n"
MEMBERS_HEADER = "person_code,group_name,role,confidence,valid_from,valid_to,source,review_by\n"
RELATIONS_HEADER = (
    "group_a,group_b,kind,intensity,confidence,valid_from,valid_to,source,review_by\n"
)


def lookups(**overrides: object) -> Lookups:
    values: dict[str, object] = {
        "municipalities": {"0123": 1, "0163": 2},
        "known_municipality_codes": frozenset({"0123", "0163", "0180"}),
        "existing_groups": {"befintliga": 10},
        "taken_names": frozenset({"befintliga", "någon annans"}),
        "people": {"P-AAAA": 100, "P-BBBB": 101},
        "can_write_groups": True,
        "can_write_members": True,
        "can_write_relations": True,
    }
    values.update(overrides)
    return Lookups(**values)  # type: ignore[arg-type]


def run(files: dict[str, str | bytes], **overrides: object) -> tuple[object, list[Problem]]:
    raw = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return check_upload(parse_upload(raw), lookups(**overrides))


def where(problems: list[Problem]) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.field) for p in problems]


def test_the_vocabulary_matches_the_tables() -> None:
    assert set(forms.STATUS_LABELS) == {s.value for s in Group.Status}
    assert set(forms.ROLE_LABELS) == {r.value for r in Membership.Role}
    assert set(forms.CONFIDENCE_LABELS) == {c.value for c in Confidence}
    assert set(forms.KIND_LABELS) == {k.value for k in GroupRelation.Kind}


def test_a_good_upload_becomes_a_plan_with_references_resolved() -> None:
    plan, problems = run(
        {
            "groups.csv": GROUPS_HEADER
            + 'Nya gänget,0123,Torget,aktiv,"NG;Nygänget",Anteckning\n'
            + "Lillgänget,163,,,,\n",
            "members.csv": MEMBERS_HEADER
            + "P-AAAA,Nya gänget,ledare,hög,2024-01-01,,Rapport 1,2025-01-01\n"
            + "p-bbbb,befintliga,member,low,,,,\n",
            "relations.csv": RELATIONS_HEADER
            + "Nya gänget,Befintliga,rivalitet,4,medel,2024-02-01,,Lägesbild,\n"
            + "Lillgänget,Nya gänget,splinter_of,2,high,,,,\n",
        }
    )
    assert problems == []
    assert isinstance(plan, importer.Plan)
    assert [g.name for g in plan.groups] == ["Nya gänget", "Lillgänget"]
    assert plan.groups[0].aliases == ("NG", "Nygänget")
    assert plan.groups[1].municipality_id == 2  # Excel's "163" is kommunkod 0163
    assert plan.groups[1].status == "active"
    leader, member = plan.memberships
    assert (leader.person_id, leader.group.new, leader.role) == (100, 0, "leader")
    assert (leader.confidence, leader.valid_from) == ("high", date(2024, 1, 1))
    assert (member.person_id, member.group.existing) == (101, 10)
    rivalry, splinter = plan.relations
    assert (rivalry.group_a.new, rivalry.group_b.existing, rivalry.kind) == (0, 10, "rivalry")
    assert (splinter.group_a.new, splinter.group_b.new, splinter.kind) == (1, 0, "splinter_of")
    assert plan.alias_count == 2


def test_bom_and_semicolons_from_a_swedish_excel_parse() -> None:
    bom = "\ufeff"
    plan, problems = run(
        {
            "groups.csv": bom
            + GROUPS_HEADER.replace(",", ";")
            + 'Semikolongänget;0123;Gatan 1, Egenby;vilande;"A;B";"rad ett\nrad två"\r\n',
            "members.csv": bom
            + MEMBERS_HEADER.replace(",", ";")
            + "P-AAAA;Semikolongänget;kärna;medel;2024-03-01;2024-06-30;Källa, med komma;\r\n"
            + ";;;;;;;\r\n",
        }
    )
    assert problems == []
    assert isinstance(plan, importer.Plan)
    (group,) = plan.groups
    assert (group.name, group.area, group.status) == (
        "Semikolongänget",
        "Gatan 1, Egenby",
        "dormant",
    )
    assert group.aliases == ("A", "B")
    assert group.notes == "rad ett\nrad två"
    (membership,) = plan.memberships
    assert membership.source == "Källa, med komma"
    assert membership.valid_to == date(2024, 6, 30)


def test_every_bad_row_in_every_file_is_reported_by_line_and_field() -> None:
    plan, problems = run(
        {
            "groups.csv": GROUPS_HEADER
            + "Bra gruppen,0123,,,,\n"  # line 2: fine
            + ",0123,,,,\n"  # line 3: no name
            + "Fel kommun,12345,,,,\n"  # line 4: not a code
            + "Okänd kommun,0999,,,,\n"  # line 5: no such municipality
            + "Annans kommun,0180,,,,\n"  # line 6: not in scope
            + "Fel status,0123,,farlig,,\n"  # line 7
            + "Befintliga,0123,,,,\n"  # line 8: exists already
            + "Någon annans,0123,,,,\n",  # line 9: name taken elsewhere
            "members.csv": MEMBERS_HEADER
            + "P-AAAA,Bra gruppen,member,medium,,,,\n"  # line 2: fine
            + "Kalle Karlsson,Bra gruppen,member,medium,,,,\n"  # line 3: a name, not a code
            + "P-ZZZZ,Bra gruppen,member,medium,,,,\n"  # line 4: not in scope
            + "P-AAAA,Ingen sådan,boss,säker,2024-13-01,,,1/2/2024\n"  # line 5: four fields
            + "P-BBBB,Bra gruppen,member,medium,2024-05-01,2024-04-01,,\n",  # line 6: order
            "relations.csv": RELATIONS_HEADER
            + "Bra gruppen,Befintliga,alliance,3,high,,,,\n"  # line 2: fine
            + "Bra gruppen,bra gruppen,rivalry,3,high,,,,\n"  # line 3: itself
            + "Bra gruppen,Befintliga,krig,9,high,,,,\n"  # line 4: kind, intensity
            + "Bra gruppen,Spökgänget,rivalry,,high,2024-01-01,2023-01-01,,\n",  # line 5
        }
    )
    assert plan is None
    assert where(problems) == [
        ("groups.csv", 3, "name"),
        ("groups.csv", 4, "municipality_code"),
        ("groups.csv", 5, "municipality_code"),
        ("groups.csv", 6, "municipality_code"),
        ("groups.csv", 7, "status"),
        ("groups.csv", 8, "name"),
        ("groups.csv", 9, "name"),
        ("members.csv", 3, "person_code"),
        ("members.csv", 4, "person_code"),
        ("members.csv", 5, "group_name"),
        ("members.csv", 5, "role"),
        ("members.csv", 5, "confidence"),
        ("members.csv", 5, "valid_from"),
        ("members.csv", 5, "review_by"),
        ("members.csv", 6, "valid_to"),
        ("relations.csv", 3, "group_b"),
        ("relations.csv", 4, "kind"),
        ("relations.csv", 4, "intensity"),
        ("relations.csv", 5, "group_b"),
        ("relations.csv", 5, "intensity"),
        ("relations.csv", 5, "valid_to"),
    ]
    by_place = {(p.file, p.line, p.field): p.message for p in problems}
    assert "sig själv" in by_place[("relations.csv", 3, "group_b")]
    assert "1 (svag) till 5 (stark)" in by_place[("relations.csv", 4, "intensity")]
    assert "ÅÅÅÅ-MM-DD" in by_place[("members.csv", 5, "valid_from")]
    assert "inte ligga före" in by_place[("members.csv", 6, "valid_to")]
    assert "ingen kommun" in by_place[("groups.csv", 5, "municipality_code")]
    assert "ingår inte" in by_place[("groups.csv", 6, "municipality_code")]
    assert "finns redan" in by_place[("groups.csv", 8, "name")]
    assert "upptaget" in by_place[("groups.csv", 9, "name")]
    # A cell is never echoed: it may be a name in the wrong column.
    assert not any("Kalle" in p.message for p in problems)


def test_duplicate_names_inside_the_upload_are_reported_with_the_first_line() -> None:
    plan, problems = run(
        {
            "groups.csv": GROUPS_HEADER + "Dubbel,0123,,,,\nAnnan,0123,,,,\nDUBBEL,0163,,,,\n",
            "members.csv": MEMBERS_HEADER
            + "P-AAAA,Dubbel,member,low,2024-01-01,,,\n"
            + "P-AAAA,dubbel,core,high,2024-01-01,,,\n",
            "relations.csv": RELATIONS_HEADER
            + "Dubbel,Annan,rivalry,3,low,,,,\n"
            + "Annan,Dubbel,rivalry,5,high,,,,\n"  # the same symmetric relation
            + "Annan,Dubbel,splinter_of,2,high,,,,\n",  # directed: another relation
        }
    )
    assert plan is None
    assert where(problems) == [
        ("groups.csv", 4, "name"),
        ("members.csv", 3, "person_code"),
        ("relations.csv", 3, "group_a"),
    ]
    assert "rad 2" in problems[0].message


def test_a_dry_run_reference_to_a_bad_group_row_is_reported_once() -> None:
    _, problems = run(
        {
            "groups.csv": GROUPS_HEADER + "Trasig,0123,,okänd,,\n",
            "members.csv": MEMBERS_HEADER + "P-AAAA,Trasig,member,low,,,,\n",
        }
    )
    assert where(problems) == [("groups.csv", 2, "status")]


def test_header_problems_stop_the_file_and_name_the_columns() -> None:
    _, problems = run(
        {
            "groups.csv": "navn,municipality_code,färg\nA,0123,röd\n",
            "members.csv": "person_code,group_name,role,role,confidence\n",
        }
    )
    assert where(problems) == [
        ("groups.csv", 1, "name"),
        ("groups.csv", 1, "färg"),
        ("groups.csv", 1, "navn"),
        ("members.csv", 1, "role"),
    ]


def test_files_a_role_may_not_write_are_refused_as_a_whole() -> None:
    _, problems = run(
        {
            "groups.csv": GROUPS_HEADER + "Ny,0123,,,,\n",
            "members.csv": MEMBERS_HEADER,  # header only: nothing to refuse
        },
        can_write_groups=False,
    )
    assert where(problems) == [("groups.csv", 0, "")]
    assert "samordnare" in problems[0].message


def test_windows_1252_is_read_and_named() -> None:
    data = (GROUPS_HEADER + "Gänget,0123,Åby,,,\n").encode("cp1252")
    parsed = importer.parse_upload({"groups.csv": data})
    assert parsed.problems == []
    assert parsed.encodings["groups.csv"] == "Windows-1252"
    assert [g.name for g in parsed.groups] == ["Gänget"]


def test_swedish_headers_are_accepted() -> None:
    data = "Namn;KOMMUNKOD;Område;Status;Alias;Anteckningar\nGänget;123;Åby;aktiv;;\n"
    parsed = importer.parse_upload({"groups.csv": data.encode("utf-8-sig")})
    assert parsed.problems == []
    assert parsed.encodings["groups.csv"] == "UTF-8 (BOM)"
    group = parsed.groups[0]
    assert (group.name, group.municipality_code, group.area) == ("Gänget", "0123", "Åby")


def test_unreadable_bytes_say_how_to_save_the_file() -> None:
    _, problems = run({"groups.csv": bytes(range(256)) * 4})
    assert where(problems)[0][0] == "groups.csv"
    assert "UTF-8" in problems[0].message


def test_size_and_row_limits_have_clear_messages() -> None:
    big = b"x" * (importer.MAX_FILE_BYTES + 1)
    _, problems = run({"groups.csv": big})
    assert where(problems) == [("groups.csv", 0, "")]
    assert "5 MB" in problems[0].message
    many = MEMBERS_HEADER + "P-AAAA,Befintliga,member,low,,,,\n" * (importer.MAX_ROWS + 1)
    _, problems = run({"members.csv": many})
    assert any(p.line == 0 and "20 000" in p.message for p in problems)


def test_unreadable_rows_and_extra_fields() -> None:
    _, problems = run(
        {
            "relations.csv": RELATIONS_HEADER
            + "A,B,rivalry,3,high,,,,,extra\n"
            + 'A,B,"rivalry,3,high\n',
        },
        existing_groups={"a": 1, "b": 2},
    )
    assert where(problems) == [("relations.csv", 2, ""), ("relations.csv", 3, "")]
    assert "fler fält" in problems[0].message or "fält" in problems[0].message


def test_nothing_sent_is_a_problem_but_empty_files_are_not() -> None:
    _, problems = run({})
    assert len(problems) == 1
    assert "Välj minst en fil" in problems[0].message
    plan, problems = run({"groups.csv": GROUPS_HEADER, "members.csv": ""})
    assert problems == []
    assert isinstance(plan, importer.Plan)
    assert plan.groups == plan.memberships == plan.relations == []


def test_garbage_never_raises() -> None:
    samples = [
        b"\x00\x01\x02",
        b'"',
        b"\xef\xbb\xbf",
        b"name\r\r\r\n\n",
        ("name,municipality_code\n" + '"' * 1000).encode(),
        "name;municipality_code\n\u2028;\u0000\n".encode(),
    ]
    for sample in samples:
        for file in importer.FILES:
            parsed = parse_upload({file: sample})
            check_upload(parsed, lookups())
