"""audit-log-search against moto's CloudWatch Logs, with lines in Aurora MySQL's audit format."""

from __future__ import annotations

import json
import re
import time

import pytest

from runbook_actions import audit_log_search as module
from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError

NAME = "audit-log-search"
ATTACKER = "198.51.100.23"
NEW_PASSWORD = "N3w-secret-value"
# (minutes ago, instance, audit record after the timestamp)
AUDIT_LINES = [
    (180, 1, f"ip-10-0-1-5,admin,{ATTACKER},700,1,QUERY,zelly,'DROP TABLE merchants',0"),
    (30, 1, f"ip-10-0-1-5,admin,{ATTACKER},812,4410,QUERY,zelly,'SELECT * FROM merchants',0"),
    (25, 2, "ip-10-0-2-7,app,10.0.1.12,77,0,CONNECT,zelly,,0"),
    (20, 2, "ip-10-0-2-7,app,10.0.1.12,77,901,QUERY,zelly,'select id from orders where id=1',0"),
    (
        15,
        1,
        f"ip-10-0-1-5,admin,{ATTACKER},812,4411,QUERY,zelly,"
        f"'ALTER USER \\'app\\'@\\'%\\' IDENTIFIED BY \\'{NEW_PASSWORD}\\'',0",
    ),
    (10, 1, f"ip-10-0-1-5,admin,{ATTACKER},813,0,FAILED_CONNECT,,,1045"),
]


@pytest.fixture
def log_group(clients, platform) -> str:
    """The audit log group with one stream per instance; one line is older than an hour."""
    name = platform.aurora.audit_log_group
    logs = clients.logs
    logs.create_log_group(logGroupName=name)
    now_ms = int(time.time() * 1000)
    for instance in (1, 2):
        stream = f"{platform.aurora.cluster_id}-instance-{instance}"
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        events = [
            {
                "timestamp": now_ms - minutes * 60_000,
                "message": f"{(now_ms - minutes * 60_000) * 1000},{record}",
            }
            for minutes, on, record in AUDIT_LINES
            if on == instance
        ]
        logs.put_log_events(logGroupName=name, logStreamName=stream, logEvents=events)
    return name


def search(clients, log_group, dry_run=False, **arguments):
    return invoke(NAME, clients, {"log_group": log_group, **arguments}, dry_run=dry_run).details


def test_substring_match_is_case_insensitive_and_windowed(clients, log_group):
    details = search(clients, log_group, pattern="SELECT")
    assert details["matched"] == 2 and details["scanned"] == 5  # the 3-hour-old line is outside
    assert [line["message"].split(",", 8)[-1] for line in details["lines"]] == [
        "'SELECT * FROM merchants',0",
        "'select id from orders where id=1',0",
    ]


def test_counts_matches_by_user_host_operation_and_stream(clients, log_group, platform):
    details = search(clients, log_group, pattern=ATTACKER)
    assert details["matched"] == 3
    counts = details["counts"]
    assert counts["by_user"] == {"admin": 3} and counts["by_client_host"] == {ATTACKER: 3}
    assert counts["by_operation"] == {"QUERY": 2, "FAILED_CONNECT": 1}
    assert counts["by_database"] == {"zelly": 2, "unknown": 1}
    assert counts["by_stream"] == {f"{platform.aurora.cluster_id}-instance-1": 3}
    assert counts["not_in_audit_format"] == 0


@pytest.mark.parametrize(
    "pattern, since, expected",
    [
        (r"\b(drop|alter)\s+(table|user)\b", "1h", 1),
        (r"\b(drop|alter)\s+(table|user)\b", "24h", 2),
        ("merchants|orders", "1h", 2),  # an OR, which moto's server-side filter patterns ignore
    ],
)
def test_regex_match(clients, log_group, pattern, since, expected):
    details = search(clients, log_group, pattern=pattern, regex=True, since=since)
    assert details["matched"] == expected


def test_passwords_in_matching_lines_are_masked(clients, log_group):
    details = search(clients, log_group, pattern="identified by")
    assert details["matched"] == 1
    assert NEW_PASSWORD not in json.dumps(details)
    assert "IDENTIFIED BY \\'***\\'" in details["lines"][0]["message"]


def test_returns_only_the_newest_max_lines_but_counts_all(clients, log_group):
    details = search(clients, log_group, pattern=ATTACKER, max_lines=1)
    assert details["matched"] == 3 and details["lines_truncated"] is True
    [newest] = details["lines"]
    assert "FAILED_CONNECT" in newest["message"]


def test_scan_is_bounded(clients, log_group, monkeypatch):
    monkeypatch.setattr(module, "MAX_EVENTS_SCANNED", 3)
    details = search(clients, log_group, pattern="zelly")
    assert details["scanned"] == 3 and details["scan_limit_reached"] is True
    assert "narrow --since" in details["note"]


def test_reads_change_nothing_and_dry_run_answers_the_same(clients, log_group):
    plain = search(clients, log_group, pattern="connect")
    dry = search(clients, log_group, dry_run=True, pattern="connect")
    assert {k: v for k, v in dry.items() if k != "window"} == {
        k: v for k, v in plain.items() if k != "window"
    }


@pytest.mark.parametrize(
    "arguments, error, words",
    [
        (
            {"pattern": "(unclosed", "regex": True},
            InvalidArgumentError,
            r"'\(unclosed' is not a valid regular",
        ),
        ({"pattern": "x", "since": "100d"}, InvalidArgumentError, "maximum 90d"),
        ({"pattern": "x", "max_lines": 0}, InvalidArgumentError, "--max-lines"),
        ({"pattern": "x", "log_group": "/aws/rds/cluster/missing/audit"}, NotFoundError, "missing"),
    ],
)
def test_refusals(clients, log_group, arguments, error, words):
    with pytest.raises(error, match=words):
        invoke(NAME, clients, {"log_group": log_group, **arguments})


def test_log_group_comes_from_the_environment_on_the_seeded_platform(clients, seeded, platform, monkeypatch):
    environ = {"ZELLY_AUDIT_LOG_GROUP": platform.aurora.audit_log_group}
    details = invoke(NAME, clients, {"pattern": "connect"}, environ=environ).details
    assert details["log_group"] == platform.aurora.audit_log_group
    assert details["matched"] == 1 and details["counts"]["not_in_audit_format"] == 1


def test_missing_log_group_names_the_variable(clients, monkeypatch):
    monkeypatch.delenv("ZELLY_AUDIT_LOG_GROUP", raising=False)
    with pytest.raises(InvalidArgumentError, match="ZELLY_AUDIT_LOG_GROUP"):
        invoke(NAME, clients, {"pattern": "x"})


def test_cli(clients, log_group, capsys):
    code = main([NAME, "--pattern", "drop table", "--since", "24h", "--log-group", log_group])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["details"]["matched"] == 1


# Every password syntax of MySQL 8 / Aurora MySQL 3 (ALTER USER, CREATE USER, SET PASSWORD,
# CHANGE REPLICATION SOURCE TO / CHANGE MASTER TO, START REPLICA, START GROUP_REPLICATION,
# CREATE SERVER, the RDS replication procedures): (statement, the same with every secret masked).
# Each secret is a word that appears nowhere else in its statement.
PASSWORD_FORMS = {
    "create-user": (
        "CREATE USER 'app'@'%' IDENTIFIED BY 'Alpha-1'",
        "CREATE USER 'app'@'%' IDENTIFIED BY '***'",
    ),
    "with-plugin": (
        "ALTER USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY 'Bravo-2'",
        "ALTER USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY '***'",
    ),
    "quoted-plugin-double-quotes": (
        "ALTER USER app IDENTIFIED WITH 'mysql_native_password' BY \"Charlie-3\"",
        "ALTER USER app IDENTIFIED WITH 'mysql_native_password' BY \"***\"",
    ),
    "replace-and-retain": (
        "ALTER USER USER() IDENTIFIED BY 'Delta-4' REPLACE 'Echo-5' RETAIN CURRENT PASSWORD",
        "ALTER USER USER() IDENTIFIED BY '***' REPLACE '***' RETAIN CURRENT PASSWORD",
    ),
    "random-password-replace": (
        "ALTER USER app IDENTIFIED BY RANDOM PASSWORD REPLACE 'Foxtrot-6'",
        "ALTER USER app IDENTIFIED BY RANDOM PASSWORD REPLACE '***'",
    ),
    "plugin-random-replace": (
        'ALTER USER app IDENTIFIED WITH caching_sha2_password BY RANDOM PASSWORD REPLACE "Golf-7"',
        'ALTER USER app IDENTIFIED WITH caching_sha2_password BY RANDOM PASSWORD REPLACE "***"',
    ),
    "hash-as": (
        "CREATE USER app IDENTIFIED WITH mysql_native_password AS "
        "'*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'",
        "CREATE USER app IDENTIFIED WITH mysql_native_password AS '***'",
    ),
    "by-password-hash-5.7": (
        "GRANT ALL ON zelly.* TO app IDENTIFIED BY PASSWORD '*HOTEL8HASH'",
        "GRANT ALL ON zelly.* TO app IDENTIFIED BY PASSWORD '***'",
    ),
    "several-users": (
        "CREATE USER a IDENTIFIED BY 'India-9', 'b'@'%' IDENTIFIED BY 'Juliet-10'",
        "CREATE USER a IDENTIFIED BY '***', 'b'@'%' IDENTIFIED BY '***'",
    ),
    "second-factor": (
        "ALTER USER app ADD 2 FACTOR IDENTIFIED WITH caching_sha2_password BY 'Kilo-11'",
        "ALTER USER app ADD 2 FACTOR IDENTIFIED WITH caching_sha2_password BY '***'",
    ),
    "initial-authentication": (
        "CREATE USER u IDENTIFIED WITH authentication_ldap_sasl INITIAL AUTHENTICATION "
        "IDENTIFIED BY 'Lima-12'",
        "CREATE USER u IDENTIFIED WITH authentication_ldap_sasl INITIAL AUTHENTICATION IDENTIFIED BY '***'",
    ),
    "set-password": ("SET PASSWORD = 'Mike-13'", "SET PASSWORD = '***'"),
    "set-password-for": ("SET PASSWORD FOR 'app'@'%' = 'November-14'", "SET PASSWORD FOR 'app'@'%' = '***'"),
    "set-password-replace-retain": (
        "SET PASSWORD FOR app@localhost = 'Oscar-15' REPLACE 'Papa-16' RETAIN CURRENT PASSWORD",
        "SET PASSWORD FOR app@localhost = '***' REPLACE '***' RETAIN CURRENT PASSWORD",
    ),
    "set-password-to-random": ("SET PASSWORD FOR app TO RANDOM", "SET PASSWORD FOR app TO RANDOM"),
    "set-password-to-random-replace": (
        "SET PASSWORD TO RANDOM REPLACE 'Quebec-17'",
        "SET PASSWORD TO RANDOM REPLACE '***'",
    ),
    "password-function": (
        "SET PASSWORD FOR 'app'@'%' = PASSWORD('Romeo-18')",
        "SET PASSWORD FOR 'app'@'%' = PASSWORD('***')",
    ),
    "old-password-function": ("SELECT OLD_PASSWORD( 'Sierra-19' )", "SELECT OLD_PASSWORD( '***' )"),
    "source-password": (
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_USER='repl', "
        "SOURCE_PASSWORD='Tango-20', SOURCE_PORT=3306 FOR CHANNEL 'c1'",
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_USER='repl', "
        "SOURCE_PASSWORD='***', SOURCE_PORT=3306 FOR CHANNEL 'c1'",
    ),
    "master-password": (
        "CHANGE MASTER TO MASTER_HOST = 'db1', MASTER_PASSWORD = \"Uniform-21\"",
        "CHANGE MASTER TO MASTER_HOST = 'db1', MASTER_PASSWORD = \"***\"",
    ),
    "start-replica": (
        "START REPLICA USER='repl' PASSWORD='Victor-22'",
        "START REPLICA USER='repl' PASSWORD='***'",
    ),
    "start-group-replication": (
        "START GROUP_REPLICATION USER='repl', PASSWORD='Whiskey-23'",
        "START GROUP_REPLICATION USER='repl', PASSWORD='***'",
    ),
    "federated-server": (
        "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'u', PASSWORD 'Xray-24', HOST 'h')",
        "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'u', PASSWORD '***', HOST 'h')",
    ),
    "rds-set-external-source": (
        "CALL mysql.rds_set_external_source('db1.example.com', 3306, 'repl', 'Yankee-25', "
        "'mysql-bin.000001', 4, 1)",
        "CALL mysql.rds_set_external_source('db1.example.com', 3306, 'repl', '***', "
        "'mysql-bin.000001', 4, 1)",
    ),
    "rds-set-external-master-auto-position": (
        'call mysql.rds_set_external_master_with_auto_position("db1", 3306, "repl", "Zulu-26", 0, 0)',
        'call mysql.rds_set_external_master_with_auto_position("db1", 3306, "repl", "***", 0, 0)',
    ),
    "doubled-single-quotes": (
        "ALTER USER app IDENTIFIED BY 'Ant''Bee-27'",
        "ALTER USER app IDENTIFIED BY '***'",
    ),
    "doubled-double-quotes": (
        'ALTER USER app IDENTIFIED BY "Cat""Dog-28"',
        'ALTER USER app IDENTIFIED BY "***"',
    ),
    "backslash-single-quote": (
        "ALTER USER app IDENTIFIED BY 'Elk\\'Fox-29'",
        "ALTER USER app IDENTIFIED BY '***'",
    ),
    "backslash-double-quote": ('SET PASSWORD = "Gnu\\"Hen-30"', 'SET PASSWORD = "***"'),
    "ends-in-backslash-then-replace": (
        "ALTER USER app IDENTIFIED BY 'Ibis-31\\\\' REPLACE 'Jay\\\\''Kiwi-32'",
        "ALTER USER app IDENTIFIED BY '***' REPLACE '***'",
    ),
    "adjacent-strings": (
        "ALTER USER app IDENTIFIED BY 'Lynx' \"Mole-33\"",
        "ALTER USER app IDENTIFIED BY '***' \"***\"",
    ),
    "lower-case-extra-whitespace": (
        "alter   user app\n  identified\twith  caching_sha2_password\n by   'Newt-34'  replace\t'Owl-35'",
        "alter   user app\n  identified\twith  caching_sha2_password\n by   '***'  replace\t'***'",
    ),
    "no-space-before-quote": ("SET PASSWORD='Puma-36'", "SET PASSWORD='***'"),
    "comment-between-keywords": (
        "ALTER USER app IDENTIFIED /* rotate */ BY 'Quail-37'",
        "ALTER USER app IDENTIFIED /* rotate */ BY '***'",
    ),
    "unquoted-typo": ("ALTER USER app IDENTIFIED BY Raven-38;", "ALTER USER app IDENTIFIED BY ***;"),
    "cut-off-by-the-query-length-limit": (
        "ALTER USER app IDENTIFIED BY 'Seal-39-and-the-rest",
        "ALTER USER app IDENTIFIED BY '***",
    ),
    # Literal forms MySQL accepts where a string goes: introducers, national, hex strings/numbers.
    "charset-introducer": (
        "ALTER USER app IDENTIFIED BY _utf8mb4'Abel-40'",
        "ALTER USER app IDENTIFIED BY _utf8mb4'***'",
    ),
    "binary-introducer": (
        "ALTER USER app IDENTIFIED BY _binary'Baker-41'",
        "ALTER USER app IDENTIFIED BY _binary'***'",
    ),
    "introducer-then-space": (
        "ALTER USER app IDENTIFIED BY _utf8mb4 'Bison-41'",
        "ALTER USER app IDENTIFIED BY _utf8mb4 '***'",
    ),
    "national-string": ("ALTER USER app IDENTIFIED BY N'Cain-42'", "ALTER USER app IDENTIFIED BY N'***'"),
    "hex-string": ("ALTER USER app IDENTIFIED BY X'70770a'", "ALTER USER app IDENTIFIED BY X'***'"),
    "hex-number": ("ALTER USER app IDENTIFIED BY 0x7077", "ALTER USER app IDENTIFIED BY 0x***"),
    "introducer-hex-number": ("SET PASSWORD = _binary 0x7077", "SET PASSWORD = _binary 0x***"),
    "set-password-introducer": ("SET PASSWORD = _latin1'Dove-43'", "SET PASSWORD = _latin1'***'"),
    "source-password-introducer": (
        "CHANGE REPLICATION SOURCE TO SOURCE_USER='repl', SOURCE_PASSWORD = _utf8mb4'Eagle-44'",
        "CHANGE REPLICATION SOURCE TO SOURCE_USER='repl', SOURCE_PASSWORD = _utf8mb4'***'",
    ),
    # Every comment MySQL skips, between any two keywords.
    "hash-comment-between-keywords": (
        "ALTER USER app IDENTIFIED #c\nBY 'Finch-45'",
        "ALTER USER app IDENTIFIED #c\nBY '***'",
    ),
    "dash-comment-between-keywords": (
        "ALTER USER app IDENTIFIED -- c\nBY 'Gull-46'",
        "ALTER USER app IDENTIFIED -- c\nBY '***'",
    ),
    "comments-around-by": (
        "ALTER USER app IDENTIFIED /* c */ BY /* d */ 'Heron-47'",
        "ALTER USER app IDENTIFIED /* c */ BY /* d */ '***'",
    ),
    "versioned-comment": (
        "/*!80000 ALTER USER app IDENTIFIED BY 'Ibex-48' */",
        "/*!80000 ALTER USER app IDENTIFIED BY '***' */",
    ),
    "string-in-a-comment-of-a-password-statement": (
        "ALTER USER app IDENTIFIED BY 'Owl-54' /* was 'Pike-55' */",
        "ALTER USER app IDENTIFIED BY '***' /* was '***' */",
    ),
    # A statement inside a string literal (PREPARE, SET @s = ...): masked inside, keywords kept.
    "statement-in-a-string": (
        "PREPARE s FROM 'ALTER USER u IDENTIFIED BY ''Iris-48'''",
        "PREPARE s FROM 'ALTER USER u IDENTIFIED BY ''***'''",
    ),
    "statement-in-a-string-escaped": (
        "PREPARE s FROM 'SET PASSWORD = \\'Jade-49\\''",
        "PREPARE s FROM 'SET PASSWORD = \\'***\\''",
    ),
    "statement-built-by-concat": (
        "SET @s = CONCAT('ALTER USER u IDENTIFIED BY ''', 'Moth-52', '''')",
        "SET @s = CONCAT('ALTER USER u IDENTIFIED BY ''', '***', '***')",
    ),
    # Arguments are split by the call's own parentheses and commas, not by position in the text.
    "rds-call-with-a-function-argument": (
        "CALL mysql.rds_set_external_master(concat('h','x'),3306,'u','Jackal-49',0)",
        "CALL mysql.rds_set_external_master(concat('h','x'),3306,'u','***',0)",
    ),
    "rds-call-password-expression": (
        "CALL mysql.rds_set_external_source('h', 3306, 'u', CONCAT('Koala-50', 'Lemur-51'), 'f', 4)",
        "CALL mysql.rds_set_external_source('h', 3306, 'u', CONCAT('***', '***'), 'f', 4)",
    ),
    "rds-call-comment-and-backticks": (
        "CALL mysql./**/`rds_set_external_source_with_delay`('h', 3306, 'u', 'Mink-52', 'f', 4, 0, 60)",
        "CALL mysql./**/`rds_set_external_source_with_delay`('h', 3306, 'u', '***', 'f', 4, 0, 60)",
    ),
    # The general rule: in a statement with a password keyword anywhere, every literal that is
    # not an account name, host, user, file or channel is masked, whatever syntax carries it.
    "password-column": (
        "INSERT INTO users (name, password) VALUES ('bob', 'Narwhal-53')",
        "INSERT INTO users (name, password) VALUES ('***', '***')",
    ),
    "encryption-key": ("SELECT AES_ENCRYPT(card, 'Otter-56')", "SELECT AES_ENCRYPT(card, '***')"),
    # Typos: MySQL refuses the statement, the audit log still records it, and a typo is still a
    # password. A statement that starts as a password statement (ALTER/CREATE USER, SET
    # PASSWORD, GRANT, CHANGE MASTER/REPLICATION, misspelt too) masks every literal that is no
    # account name; a BY or TO literal in a statement naming a user or password is a value.
    "set-password-to-a-literal": (
        "SET PASSWORD FOR 'app'@'%' TO 'Tired-Pa55'",
        "SET PASSWORD FOR 'app'@'%' TO '***'",
    ),
    "misspelt-identified": ("ALTER USER app IDENTIFED BY 'Typo-Pa55'", "ALTER USER app IDENTIFED BY '***'"),
    "misspelt-identified-unquoted": (
        "ALTER USER app IDENTIFIDE BY Wren-59",
        "ALTER USER app IDENTIFIDE BY ***",
    ),
    "misspelt-alter-user-and-identified": (
        "ALTR USR 'app'@'%' IDENTIFYED BY 'Yak-60'",
        "ALTR USR 'app'@'%' IDENTIFYED BY '***'",
    ),
    "identified-by-without-a-space": (
        "CREATE USER app IDENTIFIEDBY 'Zebra-61'",
        "CREATE USER app IDENTIFIEDBY '***'",
    ),
    "misspelt-by": (
        "CREATE USER 'app'@'%' IDENTIFIED BYY 'Hare-62'",
        "CREATE USER 'app'@'%' IDENTIFIED BYY '***'",
    ),
    "misspelt-password-keyword": ("SET PASWORD FOR app = 'Bat-63'", "SET PASWORD FOR app = '***'"),
    "set-passwd": ("SET PASSWD = 'Crow-64'", "SET PASSWD = '***'"),
    "set-password-without-equals": ("SET PASSWORD FOR 'app' 'Gecko-65'", "SET PASSWORD FOR 'app' '***'"),
    "set-password-to-unquoted": ("SET PASSWORD FOR app TO Ferret-66", "SET PASSWORD FOR app TO ***"),
    "grant-misspelt-identified": (
        "GRANT ALL ON zelly.* TO 'app'@'%' IDENTIFIDE BY 'Deer-67'",
        "GRANT ALL ON zelly.* TO 'app'@'%' IDENTIFIDE BY '***'",
    ),
    "misspelt-master-password": (
        "CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASWORD='Emu-68'",
        "CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASWORD='***'",
    ),
    "misspelt-change-replication": (
        "CHNAGE REPLICATON SOURCE TO SOURCE_USER='repl', SOURCE_PASWD='Fox-69'",
        "CHNAGE REPLICATON SOURCE TO SOURCE_USER='repl', SOURCE_PASWD='***'",
    ),
    "by-literal-naming-a-user": ("ALTERUSER app IDENTIFY BY 'Gull-70'", "ALTERUSER app IDENTIFY BY '***'"),
}
# Statements with no secret, which masking must leave exactly as they are.
NO_SECRET = [
    "ALTER USER app IDENTIFIED BY RANDOM PASSWORD RETAIN CURRENT PASSWORD",
    "ALTER USER app IDENTIFIED WITH auth_socket",
    "ALTER USER app DISCARD OLD PASSWORD",
    "ALTER USER app PASSWORD EXPIRE INTERVAL 90 DAY PASSWORD HISTORY 5 PASSWORD REQUIRE CURRENT",
    "REPLACE INTO settings (name, value) VALUES ('theme', 'dark')",
    "UPDATE orders SET note = REPLACE(note, 'old', 'new') WHERE id = 7",
    "CALL mysql.rds_set_source_delay(3600)",
    "SELECT 'a -- b', '#c', 'x /* y */' FROM t -- identified by",
    # Account and role names stay readable in the statements that now mask every other literal.
    "GRANT SELECT ON zelly.* TO 'app'@'%'",
    "GRANT 'reader', 'writer' TO 'app'@'%', 'ops'",
    "GRANT SELECT ON mysql.user TO 'auditor'",
    "RENAME USER old TO 'new'",
    "SET PASSWORD FOR 'app'@'%' TO RANDOM",
    "ALTER USER 'app'@'localhost' ACCOUNT LOCK",
]
# Free text in a literal that names a password keyword cannot be told from a password hint:
# it is masked whole (a statement in a literal keeps its keywords instead; see above).
MASKED_WHOLE = {
    "identified-by-as-free-text": (
        "SELECT id FROM users WHERE password_changed_at < NOW() AND name = 'identified by'",
        "SELECT id FROM users WHERE password_changed_at < NOW() AND name = '***'",
    ),
    "password-hint": (
        "INSERT INTO notes VALUES (7, 'my password is Puffin-57')",
        "INSERT INTO notes VALUES (7, '***')",
    ),
}
SECRET_WORDS = re.compile(
    r"[A-Z][a-z]+-\d+|Ant|Bee|Cat|Dog|Elk|Fox|Gnu|Hen|Ibis|Jay|Kiwi|Lynx|Mole"
    r"|HOTEL8HASH|6C8989366EAF|70770a|7077|Pa55"
)


def audit_record(statement: str) -> str:
    """``statement`` as Aurora MySQL's audit log writes it: single-quoted, with ' as \\' and
    \\ as \\\\ (and line breaks as \\n)."""
    escaped = statement.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"1764126600000000,ip-10-0-1-5,admin,{ATTACKER},812,4412,QUERY,zelly,'{escaped}',0"


def test_every_form_has_a_secret_the_check_can_see() -> None:
    for statement, masked in PASSWORD_FORMS.values():
        assert SECRET_WORDS.search(statement) or statement == masked
        assert not SECRET_WORDS.search(masked)


@pytest.mark.parametrize(
    "statement, masked",
    [*PASSWORD_FORMS.values(), *MASKED_WHOLE.values()],
    ids=[*PASSWORD_FORMS.keys(), *MASKED_WHOLE.keys()],
)
@pytest.mark.parametrize("as_logged", [lambda s: s, audit_record], ids=["statement", "audit-record"])
def test_every_mysql_password_syntax_is_masked(statement, masked, as_logged) -> None:
    line = as_logged(statement)
    assert module.mask_passwords(line) == as_logged(masked)


@pytest.mark.parametrize("statement", NO_SECRET)
@pytest.mark.parametrize("as_logged", [lambda s: s, audit_record], ids=["statement", "audit-record"])
def test_statements_without_a_secret_are_kept_as_they_are(statement, as_logged) -> None:
    assert module.mask_passwords(as_logged(statement)) == as_logged(statement)


def test_no_secret_reaches_the_result_that_drill_reports_copy(clients, log_group) -> None:
    now_ms = int(time.time() * 1000)
    clients.logs.create_log_stream(logGroupName=log_group, logStreamName="every-form")
    clients.logs.put_log_events(
        logGroupName=log_group,
        logStreamName="every-form",
        logEvents=[
            {"timestamp": now_ms, "message": audit_record(statement)}
            for statement, _ in PASSWORD_FORMS.values()
        ],
    )
    details = search(clients, log_group, pattern="admin", max_lines=1000)
    assert details["matched"] >= len(PASSWORD_FORMS)
    assert not SECRET_WORDS.search(json.dumps(details))
    assert details["counts"]["not_in_audit_format"] == 0


@pytest.mark.parametrize("literal", ["X'{}'", "0x{}"])
def test_a_statement_in_a_hex_literal_is_masked_whole(literal) -> None:
    hidden = "ALTER USER u IDENTIFIED BY 'Quail-58'".encode().hex()
    statement = f"PREPARE s FROM {literal.format(hidden)}"
    assert module.mask_passwords(statement) == f"PREPARE s FROM {literal.format('***')}"
    harmless = f"SELECT {literal.format('SELECT 1'.encode().hex())}"
    assert module.mask_passwords(harmless) == harmless


@pytest.mark.parametrize(
    "make_line",
    [
        lambda n: "ALTER USER u IDENTIFIED BY 'x' " + "/*" * n,  # comments in comments: read 4 deep at most
        lambda n: "PREPARE s FROM '" + "'" * (2 * n),
        lambda n: "SELECT " + ", ".join(f"'v{i}'" for i in range(n // 2)) + " FROM t WHERE password = 'y'",
    ],
    ids=["nested comments", "quotes", "many literals"],
)
def test_masking_a_long_line_takes_linear_time(make_line) -> None:
    # CPU time, best of 3, of a line and of one eight times as long: linear work takes about 8
    # times as long, quadratic 64 (catastrophic backtracking far more). A ratio of CPU times, so
    # a loaded machine moves both alike, unlike the wall-clock bound this replaces.
    def cost(n: int) -> float:
        line = make_line(n)
        runs = []
        for _ in range(3):
            started = time.process_time()
            module.mask_passwords(line)
            runs.append(time.process_time() - started)
        return min(runs)

    small, large = cost(6_250), cost(50_000)
    assert large < 20 * max(small, 1e-3), (small, large)
