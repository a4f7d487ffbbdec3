"""The secret redactor: 30+ formats masked with their context kept, look-alikes left alone,
every rule linear in its input (adversarial inputs at 8k and 64k characters), a size cap with a
marker. Timing bounds are generous: quadratic behaviour is off by orders of magnitude."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tools.redact import MASK, MAX_REDACT_CHARS, RULES, Rule, clip, redact, redact_data

# (what, text, the secret in it, context that must survive)
FORMATS: list[tuple[str, str, str, list[str]]] = [
    (
        "pem private key",
        "key file:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAq9Vv0Z\nq9Vv0ZXk3\n"
        "-----END RSA PRIVATE KEY-----\nloaded",
        "MIIEpAIBAAKCAQEAq9Vv0Z",
        ["key file:", "loaded"],
    ),
    (
        "pem key cut before its END line",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
        "b3BlbnNzaC1rZXktdjEAAAAA",
        [],
    ),
    (
        "url credentials",
        "connecting to postgresql://app:Tr0ub4dor3@db.internal:5432/app ...",
        "Tr0ub4dor3",
        ["postgresql://app:", "@db.internal:5432/app", "connecting to"],
    ),
    (
        "redis url with an empty user",
        "REDIS_URL is redis://:s3cretRedisPass@cache:6379/0 (ok)",
        "s3cretRedisPass",
        ["redis://:", "@cache:6379/0 (ok)"],
    ),
    (
        "slack token: bot",
        "token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp in env",
        "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
        ["in env"],
    ),
    (
        "slack app token",
        "SLACK_APP_TOKEN xapp-1-A0123456789-1234567890-abcdef0123",
        "xapp-1-A0123456789-1234567890-abcdef0123",
        ["SLACK_APP_TOKEN"],
    ),
    (
        "slack webhook url",
        "posting to https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/abcdEFGHijklMNOPqrstUVWX now",
        "abcdEFGHijklMNOPqrstUVWX",
        ["https://hooks.slack.com/services/", " now"],
    ),
    (
        "anthropic key",
        "using sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz0123456789 for claude",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz0123456789",
        ["for claude"],
    ),
    (
        "openai key",
        "OPENAI sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345 set",
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        ["set"],
    ),
    (
        "stripe secret key (live)",
        "charge failed with key sk_live_51HqLyjWDarjtT1zdp7dcXyZ (declined)",
        "sk_live_51HqLyjWDarjtT1zdp7dcXyZ",
        ["(declined)"],
    ),
    (
        "stripe restricted key",
        "rk_live_51HqLyjWDarjtT1zdp7dcXyZ was rotated",
        "rk_live_51HqLyjWDarjtT1zdp7dcXyZ",
        ["was rotated"],
    ),
    (
        "github token",
        "git clone with ghp_16C7e42F292c6912E7710c838347Ae178B4a done",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ["git clone with", "done"],
    ),
    (
        "github fine-grained token",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123 ok",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123",
        ["ok"],
    ),
    (
        "gitlab token",
        "CI_TOKEN=ignored glpat-xX1yY2zZ3aA4bB5cC6dD used for push",
        "glpat-xX1yY2zZ3aA4bB5cC6dD",
        ["used for push"],
    ),
    (
        "npm token",
        "//registry.npmjs.org/:_authToken npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        ["//registry.npmjs.org/"],
    ),
    (
        "hugging face token",
        "HF hub login hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567 succeeded",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        ["succeeded"],
    ),
    (
        "pypi token",
        "twine pypi-AgEIcHlwaS5vcmcCJGI4YjNhYjA4LWRmNDQtNGFhNy1hYjFkLWY0ZmIxN2YzNzM1YgACJXsi done",
        "pypi-AgEIcHlwaS5vcmcCJGI4YjNhYjA4LWRmNDQtNGFhNy1hYjFkLWY0ZmIxN2YzNzM1YgACJXsi",
        ["twine", "done"],
    ),
    (
        "google oauth token",
        "access ya29.a0AfH6SMBx3Yq9-AbCdEfGhIjKlMnOpQrStUvWx expired",
        "ya29.a0AfH6SMBx3Yq9-AbCdEfGhIjKlMnOpQrStUvWx",
        ["expired"],
    ),
    (
        "google api key",
        "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q rejected",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
        ["rejected"],
    ),
    (
        "sendgrid key",
        "mail via 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 ok",
        "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",
        ["mail via", "ok"],
    ),
    (
        "aws access key id",
        "aws_access_key_id AKIAIOSFODNN7EXAMPLE loaded",
        "AKIAIOSFODNN7EXAMPLE",
        ["loaded"],
    ),
    (
        "key=access: aws secret access key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ["aws_secret_access_key = "],
    ),
    (
        "jwt",
        "id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U seen",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ["seen"],
    ),
    (
        "azure key: storage connection string",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
        ["AccountName=acct;AccountKey=", ";EndpointSuffix=core.windows.net"],
    ),
    (
        "azure sas signature",
        "https://acct.blob.core.windows.net/c/f?sv=2021-08-06&sig=kP0d8%2BAbCdEfGhIjKl%3D&se=2030",
        "kP0d8%2BAbCdEfGhIjKl%3D",
        ["https://acct.blob.core.windows.net/c/f?sv=2021-08-06&sig=", "&se=2030"],
    ),
    (
        "authorization header: bearer",
        "GET /api\nAuthorization: Bearer abcDEF123456ghiJKL789\nAccept: */*",
        "abcDEF123456ghiJKL789",
        ["Authorization: Bearer ", "Accept: */*"],
    ),
    (
        "authorization header: basic",
        "authorization=Basic YWRtaW46aHVudGVyMg== from curl",
        "YWRtaW46aHVudGVyMg==",
        ["authorization=Basic ", "from curl"],
    ),
    (
        "bearer token, bare",
        "sent bearer 0123456789abcdefXYZ.tok to upstream",
        "0123456789abcdefXYZ.tok",
        ["to upstream"],
    ),
    (
        "cookie header",
        "Cookie: session=9f8e7d6c5b4a3f2e1d; csrftoken=abc123\nHost: x",
        "9f8e7d6c5b4a3f2e1d",
        ["Cookie: ", "Host: x"],
    ),
    (
        "cookie header: set-cookie",
        "Set-Cookie: sid=Zx9Yw8Vu7; Path=/; HttpOnly\nServer: nginx",
        "Zx9Yw8Vu7",
        ["Set-Cookie: ", "Server: nginx"],
    ),
    (
        "key=password",
        "starting with password=hunter2-Pa55 and retries=3",
        "hunter2-Pa55",
        ["password=", "and retries=3"],
    ),
    (
        "key=pass: DB_PASS env var",
        "DB_HOST=db DB_PASS=Sup3rS3cret DB_PORT=5432",
        "Sup3rS3cret",
        ["DB_HOST=db DB_PASS=", "DB_PORT=5432"],
    ),
    (
        "key=secret: json, spaces in quotes",
        '{"client_secret": "correct horse battery", "user": "ann"}',
        "correct horse battery",
        ['{"client_secret": "', '", "user": "ann"}'],
    ),
    (
        "key=api: yaml",
        "x-api-key: 4f9c2a71be0d\nretries: 3",
        "4f9c2a71be0d",
        ["x-api-key: ", "retries: 3"],
    ),
    (
        "--password flag",
        "/usr/bin/app --user ann --password hunter2 --verbose",
        "hunter2",
        ["--password ", "--verbose", "--user ann"],
    ),
    (
        "key=token: --token= flag",
        "runner --token=tok_9aZk3LmQ --once",
        "tok_9aZk3LmQ",
        ["--token=", "--once"],
    ),
    (
        "user:password flag: curl -u",
        "curl -s -u deploy:Pa55w0rd! https://ci.example.com/job",
        "Pa55w0rd!",
        ["curl -s -u deploy:", "https://ci.example.com/job"],
    ),
    (
        "mysql -p password",
        "mysql -h db -u root -p hunter2 shop",
        "hunter2",
        ["mysql -h db -u root -p ", " shop"],
    ),
    (
        "mysql -p: mysqldump -pPASSWORD",
        "mysqldump -uroot -phunter2 shop > dump.sql",
        "hunter2",
        ["mysqldump -uroot -p", "shop > dump.sql"],
    ),
    (
        "twilio api key",
        "twilio SK2a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d set",
        "SK2a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d",
        ["twilio", "set"],
    ),
    (
        "digitalocean token",
        "doctl dop_v1_" + "a1" * 32 + " ok",
        "dop_v1_" + "a1" * 32,
        ["doctl", "ok"],
    ),
    (
        "discord webhook",
        "notify https://discord.com/api/webhooks/123456789012345678/AbCdEfGh-IjKlMnOp_qrst done",
        "AbCdEfGh-IjKlMnOp_qrst",
        ["https://discord.com/api/webhooks/", "done"],
    ),
    (
        "stripe webhook secret",
        "STRIPE_WEBHOOK whsec_AbCdEfGhIjKlMnOpQrSt0123 verified",
        "whsec_AbCdEfGhIjKlMnOpQrSt0123",
        ["verified"],
    ),
    (
        "shopify token",
        "shop shpat_" + "0a1b2c3d" * 4 + " ok",
        "shpat_" + "0a1b2c3d" * 4,
        ["shop", "ok"],
    ),
    (
        "square token",
        "square sq0atp-AbCdEfGhIjKlMnOpQrStUv ok",
        "sq0atp-AbCdEfGhIjKlMnOpQrStUv",
        ["square", "ok"],
    ),
    (
        "aws session key",
        "temporary ASIAIOSFODNN7EXAMPLE expires",
        "ASIAIOSFODNN7EXAMPLE",
        ["temporary", "expires"],
    ),
    (
        "mariadb -p",
        "mariadb-dump -u backup -p S3cr3tDump app",
        "S3cr3tDump",
        ["mariadb-dump -u backup -p ", " app"],
    ),
    (
        "sshpass -p",
        "sshpass -p 'ssh-pa55' ssh ops@host",
        "ssh-pa55",
        ["sshpass -p ", "ssh ops@host"],
    ),
    (
        "key=passwd: MYSQL_ROOT_PASSWD",
        "MYSQL_ROOT_PASSWD=r00tpw other=1",
        "r00tpw",
        ["MYSQL_ROOT_PASSWD=", "other=1"],
    ),
    (
        "key=passphrase",
        "gpg passphrase: 'open sesame 42'",
        "open sesame 42",
        ["gpg passphrase: '", "'"],
    ),
    (
        "key=pwd",
        "ldap bind_pwd=Qwerty789 base=dc=x",
        "Qwerty789",
        ["bind_pwd=", "base=dc=x"],
    ),
    (
        "key=private: private_key_id",
        '"private_key_id": "9f8e7d6c5b4a3f2e1d0c",',
        "9f8e7d6c5b4a3f2e1d0c",
        ['"private_key_id": "', '",'],
    ),
    (
        "key=auth: AUTH_KEY",
        "WP AUTH_KEY='x8#kL2!mQ9' SALT",
        "x8#kL2!mQ9",
        ["AUTH_KEY='", "' SALT"],
    ),
    (
        "key=credential",
        "registry credentials=dXNlcjpwYXNz; next",
        "dXNlcjpwYXNz",
        ["registry credentials=", "; next"],
    ),
    (
        "--passwd flag",
        "vpn --passwd Zz9Yy8Xx7 --up",
        "Zz9Yy8Xx7",
        ["vpn --passwd ", " --up"],
    ),
    (
        "--token flag",
        "agent -token abcdef123456 -v",
        "abcdef123456",
        ["agent -token ", " -v"],
    ),
    (
        "--secret flag",
        "tool --secret 'sh-h-h' run",
        "sh-h-h",
        ["tool --secret ", " run"],
    ),
    (
        "--api-key flag",
        "cli --api-key 77aa88bb99cc list",
        "77aa88bb99cc",
        ["cli --api-key ", " list"],
    ),
    (
        "--apikey flag",
        "cli --apikey 77aa88bb99cc list",
        "77aa88bb99cc",
        ["cli --apikey ", " list"],
    ),
    (
        "--pass flag",
        "openvpn --pass hunter22 --daemon",
        "hunter22",
        ["openvpn --pass ", " --daemon"],
    ),
]

# Text that looks like a secret and must stay as it is, and why.
LOOK_ALIKES: list[tuple[str, str]] = [
    ("see the password reset page for help", "the word 'password' in prose, no value"),
    ("Passwords must be rotated every 90 days.", "prose"),
    ("the token bucket refills at 10/s", "the word 'token' in prose"),
    ("max_tokens=1024 input_tokens: 512", "token counts, not tokens"),
    ("PWD=/home/ann OLDPWD=/tmp", "PWD is the working directory"),
    ("bypass=true compass=north passed=12", "words that contain 'pass'"),
    ("fixed in 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f (merged)", "a git SHA in prose"),
    ("request 123e4567-e89b-12d3-a456-426614174000 failed", "a UUID used as an id"),
    ("docker run -u 1000:1000 busybox", "uid:gid, not user:password"),
    ("psql -h db -p 5432 -U app", "psql's -p is the port"),
    ("https://example.com:8443/status?page=2", "a URL with a port, no credentials"),
    ("password: ${DB_PASSWORD}", "a reference to a variable, not its value"),
    ("skip-tests and sk-short are not keys", "too short to be an OpenAI key"),
    ("token_auth_enabled=true", "a boolean setting"),
    ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ\n-----END PUBLIC KEY-----", "public key"),
    ("Set cookies in the browser to continue", "the word 'cookie' in prose"),
]


@pytest.mark.parametrize(("what", "text", "secret", "kept"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_is_masked_and_its_context_kept(
    what: str, text: str, secret: str, kept: list[str]
) -> None:
    out = redact(text)
    assert secret not in out, f"{what}: {out!r}"
    assert MASK in out
    for part in kept:
        assert part in out, f"{what}: lost {part!r} in {out!r}"
    assert redact(out) == out  # masking is stable: a second pass changes nothing


def test_the_table_covers_at_least_thirty_formats() -> None:
    assert len(FORMATS) >= 30


@pytest.mark.parametrize(("text", "why"), LOOK_ALIKES, ids=[w for _, w in LOOK_ALIKES])
def test_look_alikes_are_left_alone(text: str, why: str) -> None:
    assert redact(text) == text, why


def test_structured_data_is_redacted_inside_and_keys_are_kept() -> None:
    data = {"argv": ["mysql", "-p", "x"], "env": {"url": "redis://:pw123@cache"}, "n": 3}
    assert redact_data(data) == {
        "argv": ["mysql", "-p", "x"],
        "env": {"url": f"redis://:{MASK}@cache"},
        "n": 3,
    }


def test_long_text_is_cut_with_a_marker_never_silently() -> None:
    text = "word " * (MAX_REDACT_CHARS // 5 + 1000)
    out = redact(text)
    assert len(out) < MAX_REDACT_CHARS + 100
    cut = len(text) - out.index("\n[…")
    assert out.endswith(f"\n[… {cut} more characters cut]")
    assert cut >= 5000
    assert clip("short", 10) == "short"
    assert clip("x" * 30, 10) == "x" * 10 + "\n[… 20 more characters cut]"


# ---------------------------------------------------------------------- linear time
def _adversarial(rule: Rule, size: int) -> dict[str, str]:
    """Inputs of about `size` characters built to make a backtracking pattern explode: long
    runs of word characters after the rule's literal, the literal repeated with separators,
    nested quotes, whitespace runs, and almost-matches (a real secret of its kind, cut short)."""
    examples = [text for what, text, _, _ in FORMATS if what.startswith(rule.name)]
    seeds = [*rule.anchors, *(a.upper() for a in rule.anchors), *(e[:40] for e in examples)]
    out: dict[str, str] = {}
    for seed in seeds:
        pieces = {
            "word run": seed + "a" * size,
            "digit run": seed + "1" * size,
            "repeated": seed * (size // len(seed)),
            "key=": (seed + "=") * (size // (len(seed) + 1)),
            "key: '\"": (seed + ": '\"") * (size // (len(seed) + 4)),
            "quotes": seed + '="' + "'\"" * (size // 2),
            "spaces": seed + " " * size + "=",
            "dashes": (seed + "-") * (size // (len(seed) + 1)),
            "dots": seed + "a." * (size // 2),
            "almost": (seed[:-1] + " ") * (size // len(seed)),
            "glued": (seed[: max(1, len(seed) // 2)]) * (size // max(1, len(seed) // 2)),
            "no close": seed + "://" + "u:" + "p" * size,
            "args": seed + " -x" * (size // 3),
        }
        for kind, text in pieces.items():
            out[f"{seed[:12]!r} {kind}"] = text
    return out


def _seconds(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_is_linear_on_adversarial_input(rule: Rule) -> None:
    """8x the input may cost about 8x the time, never 64x; and 8k characters never take
    seconds (the old `password` pattern took 4 s for 8k and 16.8 s for 16k)."""
    small, large = _adversarial(rule, 8_000), _adversarial(rule, 64_000)
    for name, text in small.items():

        def run(t: str = text) -> object:
            return rule.apply(t, t.lower())

        t_small = _seconds(run)
        assert t_small < 0.5, f"{rule.name} / {name}: {t_small:.3f}s for {len(text)} characters"
        big = large[name]
        t_large = _seconds(lambda b=big: rule.apply(b, b.lower()))
        assert t_large < 24 * t_small + 0.05, (
            f"{rule.name} / {name}: {t_small * 1000:.2f} ms for {len(text)} characters but "
            f"{t_large * 1000:.2f} ms for {len(big)} (quadratic?)"
        )


def test_every_rule_has_a_format_example() -> None:
    named = {what for what, _, _, _ in FORMATS}
    missing = [r.name for r in RULES if not any(n.startswith(r.name) for n in named)]
    assert not missing


def test_a_megabyte_of_mixed_output_redacts_in_well_under_two_seconds() -> None:
    line = (
        "2024-05-01T10:00:00Z app[123]: GET /api/v1/items?page=2 200 12ms user=ann "
        "password=hunter2 token=xoxb-1234567890-abcdefghij url=redis://:pw@cache:6379\n"
    )
    text = line * (1_000_000 // len(line))
    seconds = _seconds(lambda: redact(text, limit=len(text)))
    assert seconds < 2.0, f"1 MB took {seconds:.2f}s"
    out = redact(text, limit=len(text))
    assert "hunter2" not in out and "xoxb-" not in out and ":pw@" not in out


def _reference(text: str) -> str:
    """What `redact` must return: each rule's `pattern.sub` in turn, with no shortcut."""
    for rule in RULES:
        text = rule.pattern.sub(rule.replacement, text)
    return text


def _corpus() -> list[str]:
    formats = [text for _, text, _, _ in FORMATS]
    mixed = [
        " ".join(formats[i::7])
        for i in range(7)  # several formats side by side
    ] + ["\n".join(formats), " ; ".join(reversed(formats))]
    adversarial = [t[:3000] for rule in RULES for t in _adversarial(rule, 3000).values()]
    return [*formats, *(t for t, _ in LOOK_ALIKES), *mixed, *adversarial]


def test_the_fast_paths_give_exactly_what_each_patterns_sub_gives() -> None:
    """Anchors found with str.find, counts taken once on the input, flags anchored on their
    dash: none of these shortcuts may change a single character of the result."""
    for text in _corpus():
        assert redact(text, limit=len(text)) == _reference(text), text[:200]


def test_no_replacement_can_create_an_anchor() -> None:
    """The invariant that lets `redact` count anchors once: MASK holds no anchor, and no
    anchor holds a bracket, so none can form across the edges of a mask."""
    anchors = {a for rule in RULES for a in rule.anchors}
    assert not any(anchor in MASK.lower() for anchor in anchors)
    assert not any("[" in anchor or "]" in anchor for anchor in anchors)
