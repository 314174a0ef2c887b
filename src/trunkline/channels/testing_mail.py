"""Real mail servers for tests: a private Postfix and a private Dovecot on loopback, from config written to a temporary
directory (own queue, data and mail directories; no system service is touched), with test mailboxes.

Postfix accepts SMTP for the test domains and delivers into Dovecot over LMTP; Dovecot serves the mailboxes over IMAP
(IDLE included) and authenticates Postfix's SMTP AUTH. Both listen on free ports of 127.0.0.1 and are stopped by their
process id when the session ends. ``bin/mail-setup`` installs the Debian packages; without them (or without root, which
Postfix needs) the ``mail`` tests skip with the reason.

Registered as a pytest plugin by the root ``conftest.py``: the session fixture ``mail_servers`` and the ``mail`` marker.
"""

from __future__ import annotations

import atexit
import contextlib
import email
import email.policy
import imaplib
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from email.message import EmailMessage, Message
from email.utils import make_msgid
from pathlib import Path

import pytest

POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
DOVECOT_LMTP = "/usr/lib/dovecot/lmtp"
DOMAINS = ("sofiadental.test", "example.test")
USERS = ("support@sofiadental.test", "enduser@example.test")
PASSWORD = "mailbox-password"  # noqa: S105 - every test mailbox's password
HOST = "127.0.0.1"


def mail_servers_missing() -> str:
    """Why the real mail servers cannot run here ("" when they can)."""
    missing = [path for path in (POSTFIX, DOVECOT, DOVECOT_LMTP) if not os.path.exists(path)]
    if missing:
        return f"needs Postfix and Dovecot ({', '.join(missing)} missing; run bin/mail-setup as root)"
    if os.geteuid() != 0:
        return "needs root to run private Postfix and Dovecot instances"
    return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.05, what: str = "a condition"):
    """Poll ``predicate`` until it answers something truthy, with a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Waited {timeout:.0f} s for {what}.")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def _uid_of(name: str) -> int:
    import pwd

    return pwd.getpwnam(name).pw_uid


class MailServers:
    """A running private Postfix + Dovecot pair and the helpers tests need."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = HOST
        self.smtp_port = free_port()
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.auth_port = free_port()
        self.slow_smtp_port = free_port()  # answers DATA only after a pause (an ambiguous send)
        self.tempfail_smtp_port = free_port()  # defers every recipient with 450 (a retryable refusal)
        self.smtps_port = free_port()  # implicit TLS (the plain port also offers STARTTLS)
        self.imaps_port = free_port()  # implicit TLS (the plain port also offers STARTTLS)
        self.ca_file = root / "ca.pem"  # the test CA that signed both servers' certificate (EMAIL_TLS_CA_FILE)
        self.postfix_dir = root / "postfix"
        self.dovecot_dir = root / "dovecot"
        self.mail_dir = root / "mail"
        self.users: dict[str, str] = {}
        self.domains: set[str] = set(DOMAINS)
        self.transports: dict[str, str] = {}
        self._lock = threading.Lock()
        self._dovecot: subprocess.Popen | None = None
        self._postfix_started = False

    # --- life cycle ----------------------------------------------------------------------------------------------
    def start(self) -> MailServers:
        for folder in (self.postfix_dir / "queue", self.postfix_dir / "data", self.dovecot_dir, self.mail_dir):
            folder.mkdir(parents=True, exist_ok=True)
        mail_uid = _uid_of("mail")
        os.chown(self.mail_dir, mail_uid, mail_uid)
        os.chown(self.postfix_dir / "data", _uid_of("postfix"), -1)
        for user in USERS:
            self.users[user] = PASSWORD
        self._write_certificates()
        self._write_dovecot()
        self._write_postfix()
        self._dovecot = subprocess.Popen(  # noqa: S603 - our own binary and config
            [DOVECOT, "-F", "-c", str(self.dovecot_dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dovecot_dir / "stderr.log", "wb"),  # noqa: SIM115 - kept open while it runs
            start_new_session=True,
        )
        wait_until(
            lambda: (_port_open(self.imap_port) and _port_open(self.lmtp_port)) or self._dovecot_died(),
            what="Dovecot to listen",
        )
        if self._dovecot.poll() is not None:
            raise RuntimeError(f"Dovecot did not start: {self._log(self.dovecot_dir / 'stderr.log')}")
        result = subprocess.run(  # noqa: S603
            [POSTFIX, "-c", str(self.postfix_dir), "start"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Postfix did not start: {result.stderr or result.stdout}{self._log(self.postfix_dir / 'maillog')}"
            )
        self._postfix_started = True
        wait_until(lambda: _port_open(self.smtp_port), what="Postfix to listen")
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self._postfix_started:
            self._postfix_started = False
            stopped = subprocess.run(  # noqa: S603
                [POSTFIX, "-c", str(self.postfix_dir), "stop"], capture_output=True, check=False
            )
            if stopped.returncode != 0:
                pid_file = self.postfix_dir / "queue" / "pid" / "master.pid"
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        if self._dovecot is not None and self._dovecot.poll() is None:
            self._dovecot.terminate()
            try:
                self._dovecot.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._dovecot.kill()
                self._dovecot.wait()
        self._dovecot = None

    def _dovecot_died(self) -> bool:
        return self._dovecot is not None and self._dovecot.poll() is not None

    @staticmethod
    def _log(path: Path) -> str:
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def logs(self) -> str:
        """The servers' logs, for a failing test's message."""
        return (
            "--- postfix ---\n"
            + self._log(self.postfix_dir / "maillog")
            + "\n--- dovecot ---\n"
            + self._log(self.dovecot_dir / "dovecot.log")
        )

    # --- configuration -------------------------------------------------------------------------------------------
    def _write_certificates(self) -> None:
        """A test CA and a server certificate it signed for 127.0.0.1 / localhost / mail.trunkline.test."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trunkline test mail CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        server = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.trunkline.test")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.IPAddress(ipaddress.ip_address(HOST)),
                        x509.DNSName("localhost"),
                        x509.DNSName("mail.trunkline.test"),
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (self.root / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
        key_file = self.root / "server.key"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)

    def _write_dovecot(self) -> None:
        d = self.dovecot_dir
        (d / "dovecot.conf").write_text(
            f"""\
instance_name = trunkline-test-{self.imap_port}
base_dir = {d}/run
state_dir = {d}/state
protocols = imap lmtp
listen = {HOST}
ssl = yes
ssl_cert = <{self.root}/server.pem
ssl_key = <{self.root}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
log_path = {d}/dovecot.log
first_valid_uid = 1
mail_location = maildir:{self.mail_dir}/%d/%n/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
lmtp_save_to_detail_mailbox = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid=mail gid=mail home={self.mail_dir}/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.imaps_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
}}
service auth {{
  inet_listener {{
    address = {HOST}
    port = {self.auth_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@trunkline.test
}}
"""
        )
        self._write_users()

    def _write_users(self) -> None:
        lines = [f"{user}:{{PLAIN}}{password}::::::\n" for user, password in sorted(self.users.items())]
        target = self.dovecot_dir / "users"
        temporary = target.with_suffix(".new")
        temporary.write_text("".join(lines))
        temporary.chmod(0o644)
        temporary.replace(target)

    def _write_postfix(self) -> None:
        p = self.postfix_dir
        (p / "main.cf").write_text(
            f"""\
compatibility_level = 3.6
queue_directory = {p}/queue
data_directory = {p}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {p}
maillog_file = {p}/maillog
syslog_name = postfix-trunkline-test
myhostname = mail.trunkline.test
mydomain = trunkline.test
myorigin = $myhostname
mydestination =
inet_interfaces = {HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
biff = no
smtputf8_enable = yes
smtpd_banner = $myhostname ESMTP
virtual_mailbox_domains = texthash:{p}/domains
virtual_mailbox_maps = texthash:{p}/mailboxes
virtual_transport = lmtp:inet:{HOST}:{self.lmtp_port}
transport_maps = texthash:{p}/transport
default_transport = error:5.7.1 this test mail system delivers only to its own domains
relay_transport = error:5.7.1 this test mail system delivers only to its own domains
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:{HOST}:{self.auth_port}
smtpd_tls_auth_only = no
smtpd_error_sleep_time = 0s
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_chain_files = {self.root}/server.key, {self.root}/server.pem
smtp_dns_support_level = disabled
lmtp_host_lookup = native
smtp_host_lookup = native
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
message_size_limit = 20480000
"""
        )
        (p / "master.cf").write_text(
            f"""\
{HOST}:{self.smtp_port} inet n - n - - smtpd
{HOST}:{self.slow_smtp_port} inet n - n - - smtpd -o {{ smtpd_end_of_data_restrictions = sleep 3, permit }}
{HOST}:{self.tempfail_smtp_port} inet n - n - - smtpd -o smtpd_recipient_restrictions=defer
{HOST}:{self.smtps_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
cleanup   unix  n - n - 0 cleanup
tlsmgr    unix  - - n 1000? 1 tlsmgr
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
smtp      unix  - - n - - smtp
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""
        )
        self._write_postfix_tables()

    def _write_postfix_tables(self) -> None:
        p = self.postfix_dir
        (p / "domains").write_text("".join(f"{domain} ok\n" for domain in sorted(self.domains)))
        (p / "mailboxes").write_text("".join(f"{user} ok\n" for user in sorted(self.users)))
        (p / "transport").write_text("".join(f"{key} {value}\n" for key, value in sorted(self.transports.items())))

    def _reload_postfix(self) -> None:
        self._write_postfix_tables()
        subprocess.run([POSTFIX, "-c", str(self.postfix_dir), "reload"], capture_output=True, check=True)  # noqa: S603

    # --- helpers for tests ---------------------------------------------------------------------------------------
    def add_user(self, address: str, password: str = PASSWORD) -> str:
        """A new mailbox (and its domain), known to Dovecot at once and to Postfix after a reload."""
        with self._lock:
            if self.users.get(address) == password:
                return address
            self.users[address] = password
            self.domains.add(address.rsplit("@", 1)[1].lower())
            self._write_users()
            self._reload_postfix()
        # Dovecot looks at the users file at most once per clock second: let the second turn (asking before would
        # fail, and Dovecot slows down repeated failed logins), then check the new user can log in.
        written = int(time.time())
        wait_until(lambda: time.time() >= written + 1, interval=0.01, what="the clock second to turn")
        wait_until(lambda: self._can_login(address, password), what=f"Dovecot to know {address}")
        return address

    def _can_login(self, user: str, password: str) -> bool:
        with contextlib.suppress(imaplib.IMAP4.error, OSError), imaplib.IMAP4(HOST, self.imap_port, timeout=5) as imap:
            imap.login(user, password)
            return True
        return False

    def route_domain(self, domain: str, port: int) -> None:
        """Relay mail for ``domain`` to an SMTP server on loopback (e.g. our receiver, as if MX pointed at it)."""
        with self._lock:
            self.domains.discard(domain)
            self.transports[domain] = f"smtp:[{HOST}]:{port}"
            self._reload_postfix()

    def message(
        self,
        *,
        sender: str,
        to: str,
        subject: str = "Hello",
        body: str = "Hello there.\n",
        message_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
        message["Date"] = email.utils.formatdate(localtime=False)
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        return message

    def send(
        self,
        message: EmailMessage | bytes,
        *,
        sender: str = "",
        to: Sequence[str] = (),
        port: int | None = None,
        login: bool = False,
    ) -> dict:
        """Submit a message to Postfix (or to ``port``) with smtplib, as an end user's mail client would."""
        if isinstance(message, EmailMessage):
            sender = sender or str(message["From"])
            to = to or [str(message["To"])]
        with smtplib.SMTP(HOST, port or self.smtp_port, timeout=20) as client:
            client.ehlo("client.example.test")
            if login:
                client.login(sender, self.users[sender])
            raw = message.as_bytes() if isinstance(message, EmailMessage) else message
            return client.sendmail(sender, list(to), raw)

    @contextlib.contextmanager
    def imap(self, user: str, *, folder: str | None = "INBOX") -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib connection (the folder selected, when one is given)."""
        connection = imaplib.IMAP4(HOST, self.imap_port, timeout=20)
        try:
            connection.login(user, self.users[user])
            if folder is not None:
                connection.select(folder)
            yield connection
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                connection.logout()

    def fetch_all(self, user: str, folder: str = "INBOX") -> list[tuple[int, bytes]]:
        """Every message of a mailbox as (UID, raw bytes), in UID order, without marking them seen."""
        with self.imap(user, folder=folder) as connection:
            _, data = connection.uid("SEARCH", "ALL")
            uids = [int(uid) for uid in (data[0] or b"").split()]
            messages = []
            for uid in uids:
                _, parts = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
                raw = next(part[1] for part in parts if isinstance(part, tuple))
                messages.append((uid, raw))
            return messages

    def messages(self, user: str, folder: str = "INBOX") -> list[Message]:
        """Every message of a mailbox, parsed (headers decoded: ``message["Subject"]`` is the text)."""
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.fetch_all(user, folder)]

    def wait_for_messages(self, user: str, count: int, *, folder: str = "INBOX", timeout: float = 30) -> list[Message]:
        """The mailbox once it holds at least ``count`` messages (polled with a deadline)."""
        try:
            wait_until(lambda: len(self.fetch_all(user, folder)) >= count, timeout=timeout, what=f"{count} in {user}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.logs()}") from None
        return self.messages(user, folder)

    def append(self, user: str, raw: bytes, *, folder: str = "INBOX", when: float | None = None) -> int:
        """Put a message straight into a mailbox (IMAP APPEND, delivered ``when``: a Unix time, default now);
        answers its UID."""
        with self.imap(user, folder=None) as connection:
            delivered = imaplib.Time2Internaldate(time.time() if when is None else when)
            typ, data = connection.append(folder, "", delivered, raw)
            match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            assert typ == "OK", data
            return int(match.group(1)) if match else 0

    def create_folder(self, user: str, folder: str) -> None:
        with self.imap(user, folder=None) as connection:
            connection.create(folder)

    def delete_folder(self, user: str, folder: str) -> None:
        with self.imap(user, folder=None) as connection:
            connection.delete(folder)

    def kick(self, user: str) -> str:
        """Disconnect every IMAP session of ``user`` server-side (``doveadm kick``), as a dropped connection would."""
        result = subprocess.run(  # noqa: S603
            [DOVEADM, "-c", str(self.dovecot_dir / "dovecot.conf"), "kick", user],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout + result.stderr

    def uid_validity(self, user: str, folder: str = "INBOX") -> int:
        with self.imap(user, folder=None) as connection:
            _, data = connection.status(folder, "(UIDVALIDITY)")
            match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
            assert match, data
            return int(match.group(1))


def email_channel(
    ctx,
    servers: MailServers,
    *,
    address: str = "support@sofiadental.test",
    name: str = "Support email",
    imap: bool = True,
    folder: str = "INBOX",
    smtp_port: int | None = None,
    dkim: tuple[str, str, str] | None = None,
    login: bool = False,
):
    """An email channel connected through ``channel_create`` to the test servers: SMTP out through Postfix (with
    AUTH when ``login``), IMAP in from the address's Dovecot mailbox (when ``imap``), DKIM when ``dkim`` is
    (domain, selector, private key PEM). The mailbox is created when missing."""
    from trunkline.channels.services import channel_create

    servers.add_user(address)
    settings: dict = {"smtp_host": servers.host, "smtp_port": smtp_port or servers.smtp_port, "smtp_security": "none"}
    credentials: dict = {}
    if login:
        settings["smtp_username"] = address
        credentials["smtp_password"] = servers.users[address]
    if imap:
        settings.update(
            {
                "imap_host": servers.host,
                "imap_port": servers.imap_port,
                "imap_security": "none",
                "imap_username": address,
                "imap_folder": folder,
            }
        )
        credentials["imap_password"] = servers.users[address]
    if dkim is not None:
        settings.update({"dkim_domain": dkim[0], "dkim_selector": dkim[1]})
        credentials["dkim_private_key"] = dkim[2]
    return channel_create(
        ctx=ctx, name=name, kind="email", provider="smtp", sender=address, settings=settings, credentials=credentials
    )


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    """A private Postfix + Dovecot on loopback for the whole test session (per xdist worker)."""
    reason = mail_servers_missing()
    if reason:
        pytest.skip(reason)
    servers = None
    for attempt in range(3):  # a free port can be taken by another process before the server binds it
        root = Path(tempfile.mkdtemp(prefix="trunkline-mail-"))
        root.chmod(0o755)  # Postfix's and Dovecot's unprivileged processes reach their directories under it
        servers = MailServers(root)
        try:
            servers.start()
            break
        except (RuntimeError, TimeoutError):
            servers.stop()
            shutil.rmtree(root, ignore_errors=True)
            if attempt == 2:
                raise
    assert servers is not None
    yield servers
    servers.stop()
    shutil.rmtree(servers.root, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    for item in items:
        if item.get_closest_marker("mail") is None:
            continue
        if reason is None:
            reason = mail_servers_missing()
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
