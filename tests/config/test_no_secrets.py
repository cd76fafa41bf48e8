"""No secret is committed: every tracked file is scanned for credentials in well-known formats.

The only key-like values in the repository are meant to be public: the DEBUG-only SECRET_KEY
fallback in config/settings.py, which production refuses to start without replacing, the demo
accounts' password, printed by `manage.py demo` for local use, and placeholders in the docs
(`postgres://user:password@host`, `app:...@db`) and the tests (`app:secret@db.internal`).
"""

import re
import subprocess

import pytest

from tests.helpers import ROOT

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    "personal access token": re.compile(r"\blpat_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
    "database URL with a password": re.compile(r"postgres(?:ql)?://[^:/@\s]+:(?!password@|\.\.\.)[^@\s]{8,}@(?!db\.internal)"),
    "Django secret key": re.compile(r"SECRET_KEY\s*=\s*['\"](?!django-insecure-local-development-only)[^'\"]{20,}['\"]"),
}  # fmt: skip


def secrets_in(text: str) -> list[str]:
    return [name for name, pattern in PATTERNS.items() if pattern.search(text)]


def tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [
        name for name in listed.stdout.splitlines() if name != "tests/config/test_no_secrets.py"
    ]


def test_no_tracked_file_holds_a_credential():
    found = {}
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        if kinds := secrets_in(path.read_text(errors="ignore")):
            found[name] = kinds
    assert found == {}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
        ("key = 'AKIA" + "ABCDEFGHIJKLMNOP'", "AWS access key"),
        ("ghp_" + "a" * 36, "GitHub token"),
        ("Authorization: Bearer lpat_" + "a1_-" * 10 + "xyz", "personal access token"),
        ("DATABASE_URL=postgres://app:" + "hunter2hunter2@prod.example.com/db", "database URL with a password"),
        ("SECRET_KEY = '" + "k" * 50 + "'", "Django secret key"),
    ],
)  # fmt: skip
def test_the_scan_recognises_each_kind(text, kind):
    assert secrets_in(text) == [kind]
