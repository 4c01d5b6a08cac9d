import json

from coach.settings import Settings


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("MIE_TEMPERATURE", "0.9")
    monkeypatch.setenv("MIE_CHROMA_HOST", "chroma.internal")
    settings = Settings()
    assert settings.temperature == 0.9
    assert settings.chroma_mode == "server chroma.internal:8000"
    assert settings.data_dir == tmp_path / "data"


def test_dotenv_is_read_from_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text("MIE_LLM_BACKEND=openai\nMIE_MODEL=qwen2.5:7b\n")
    settings = Settings()
    assert (settings.llm_backend, settings.model) == ("openai", "qwen2.5:7b")


def test_default_data_dir_is_under_local_share(monkeypatch, tmp_path):
    monkeypatch.delenv("MIE_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings().data_dir == tmp_path / ".local/share/mie-coach"


def test_config_masks_secrets(cli):
    key = "sk-live-THISISSECRET123"
    url = "postgresql://coach:hunter2pass@db.example/coach"
    result = cli("config", "--json", MIE_API_KEY=key, MIE_DATABASE_URL=url)
    assert result.exit_code == 0
    values = json.loads(result.stdout)
    assert key not in result.stdout and "SECRET" not in result.stdout
    assert "hunter2pass" not in result.stdout
    assert values["api_key"].startswith("****")
    assert values["database_url"] == "postgresql://coach:***@db.example/coach"
    assert values["llm_backend"] == "embedded"


def test_config_table_names_environment_variables(cli):
    result = cli("config")
    assert result.exit_code == 0
    assert "MIE_LLM_BACKEND" in result.stdout and "MIE_CHROMA_HOST" in result.stdout


def test_invalid_setting_is_one_sentence_and_exit_2(cli):
    result = cli("config", MIE_TEMPERATURE="warm")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: MIE_TEMPERATURE is invalid")
    assert "Traceback" not in result.output


def test_a_collection_name_chroma_would_refuse_is_refused_up_front(cli):
    result = cli("ingest", MIE_COLLECTION="my knowledge")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: MIE_COLLECTION is invalid: use 3-502 letters")
    assert "Traceback" not in result.output
    assert Settings(collection="team-a.knowledge_v2").collection == "team-a.knowledge_v2"


def test_a_database_url_that_cannot_work_is_one_sentence(cli):
    garbage = cli("users", "list", MIE_DATABASE_URL="not a url")
    assert garbage.exit_code == 2
    assert garbage.stderr == (
        "Error: MIE_DATABASE_URL is not a database URL; use e.g. "
        "postgresql://user:password@host/dbname.\n"
    )
    no_driver = cli("users", "list", MIE_DATABASE_URL="mysql://coach:pw@localhost/coach")
    assert no_driver.exit_code == 2
    assert no_driver.stderr.startswith("Error: MIE_DATABASE_URL needs the database driver")
    assert "Traceback" not in garbage.output + no_driver.output
