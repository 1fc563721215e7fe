from pathlib import Path

import pytest
from pydantic import BaseModel

from longdoc.config import Settings, load_settings


def _undocumented(model: type[BaseModel], prefix: str = "") -> list[str]:
    missing = []
    for name, field in model.model_fields.items():
        if not field.description:
            missing.append(prefix + name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            missing += _undocumented(annotation, f"{prefix}{name}.")
    return missing


def test_every_setting_is_documented() -> None:
    assert _undocumented(Settings) == []


def test_environment_and_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "longdoc.toml"
    config.write_text('data_dir = "/srv/longdoc"\n[limits]\naccount_files = 5\n')
    monkeypatch.setenv("LONGDOC_LIMITS__DOCUMENT_BYTES", "1234")
    settings = load_settings(config)
    assert settings.data_dir == Path("/srv/longdoc")
    assert settings.limits.account_files == 5
    assert settings.limits.document_bytes == 1234  # the environment wins over the file


def test_defaults_serve_one_machine(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'longdoc.db'}"


def test_unknown_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]
