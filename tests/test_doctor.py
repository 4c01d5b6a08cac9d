"""`mie-coach doctor` as an operator runs it: every part checked for real, a failing part named
with its fix, exit 1 when anything fails."""

from __future__ import annotations

import json

from tests.conftest import free_port


def test_doctor_passes_on_a_working_install(cli, indexed_env):
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "database"],
        ["ok", "index"],
        ["ok", "model"],
        ["ok", "coder"],
        ["ok", "guard"],
    ]
    assert "embedded backend, model SmolLM2-135M-Instruct: answered" in result.output
    assert "a risk message is flagged (crisis_client)" in result.output


def test_doctor_names_each_failure_with_its_fix(cli, tmp_path):
    # A fresh data dir (no index) and a model server that is not there.
    env = {
        "MIE_LLM_BACKEND": "openai",
        "MIE_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "MIE_API_KEY": "secret-key-never-shown",
    }
    result = cli("doctor", "--json", **env)
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.output)}
    assert checks["database"]["ok"] and checks["coder"]["ok"] and checks["guard"]["ok"]
    assert not checks["index"]["ok"] and "mie-coach ingest" in checks["index"]["fix"]
    assert not checks["model"]["ok"]
    assert "Cannot reach the model server" in checks["model"]["detail"]
    assert "MIE_BASE_URL" in checks["model"]["fix"]
    assert "secret-key-never-shown" not in result.output

    plain = cli("doctor", "--quick", **env)
    assert plain.exit_code == 1 and "FAIL  index" in plain.output
    assert "fix: Run `mie-coach ingest`" in plain.output
