"""Any password, quoted any way MySQL accepts, in any password clause: masked exactly.

The table in tests/runbook_actions/test_audit_log_search.py names each syntax once; here the
password itself is generated (quotes of both kinds, backslashes, commas, parentheses, comment
markers, line breaks, non-ASCII), written as MySQL reads it (the quote doubled or
backslash-escaped, backslashes escaped), both as a bare statement and as Aurora's audit record
writes it. The masked line must be the statement with exactly the password's characters replaced.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook_actions.sql_secrets import mask_passwords
from tests.support.bad_input import PROPERTY_SETTINGS

TEMPLATES = [
    "ALTER USER 'app'@'%' IDENTIFIED BY {p} REPLACE {p} RETAIN CURRENT PASSWORD",
    "CREATE USER a IDENTIFIED WITH caching_sha2_password BY {p}, b IDENTIFIED BY {p}",
    "SET PASSWORD FOR 'app'@'%' = {p}",
    "CHANGE REPLICATION SOURCE TO SOURCE_USER='repl', SOURCE_PASSWORD = {p}, SOURCE_PORT=3306",
    "CHANGE MASTER TO MASTER_PASSWORD={p}",
    "START REPLICA USER='repl' PASSWORD={p}",
    "CALL mysql.rds_set_external_source('db1', 3306, 'repl', {p}, 'mysql-bin.000001', 4, 1)",
    "SELECT PASSWORD({p})",
]
PASSWORDS = st.text(st.sampled_from("aZ9'\"\\`, ()=;/*-#\n\té₹"), min_size=1, max_size=16)


def quoted(password: str, quote: str, doubled: bool) -> str:
    body = password.replace("\\", "\\\\")
    return quote + body.replace(quote, quote * 2 if doubled else "\\" + quote) + quote


def audit_record(statement: str) -> str:
    escaped = statement.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"1764126600000000,ip-10-0-1-5,admin,10.0.1.12,812,4412,QUERY,zelly,'{escaped}',0"


@pytest.mark.parametrize("template", TEMPLATES)
@given(password=PASSWORDS, quote=st.sampled_from("'\""), doubled=st.booleans(), as_audit_record=st.booleans())
@PROPERTY_SETTINGS
def test_any_password_is_masked_exactly(tried, template, password, quote, doubled, as_audit_record) -> None:
    tried()
    statement = template.replace("{p}", quoted(password, quote, doubled))
    expected = template.replace("{p}", f"{quote}***{quote}")
    as_logged = audit_record if as_audit_record else (lambda text: text)
    assert mask_passwords(as_logged(statement)) == as_logged(expected)
