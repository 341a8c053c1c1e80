"""The README stays true about configuration and commands."""

from __future__ import annotations

from gvi.settings import ENV_VARS, ROOT


def test_readme_documents_every_setting_and_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make run" in text
    assert "make test" in text
    missing = [name for name in ENV_VARS if f"`{name}`" not in text]
    assert missing == []


def test_cli_commands_in_readme_exist() -> None:
    from click.testing import CliRunner

    from gvi.cli import main

    text = (ROOT / "README.md").read_text()
    for command in ("serve", "migrate", "seed", "create-user", "audit", "init-key"):
        assert f"gvi {command}" in text
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
