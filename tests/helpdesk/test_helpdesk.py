"""fixbook's django-helpdesk webhook against a real django-helpdesk.

Starts a minimal Django site with django-helpdesk (SQLite, REST API on, its new-ticket
webhook pointed at `fixbook serve`), and `fixbook serve` with `[webhooks.django-helpdesk]`
writing back through the helpdesk's `/api/followups/`. Tickets are created through the
helpdesk's own web forms (the staff form, logged in, and the public form), then:

- every IAM Identity Center ticket (texts from the pack's search examples: the guide's errors,
  section titles, log lines and tickets) gets exactly one internal follow-up naming its entry;
- the public ticket page does not show it;
- a printer-jam ticket gets none;
- redelivering a ticket's webhook adds no second follow-up; an unsigned delivery is refused;

and prints the time from submitting a ticket's form to its note's arrival (median and worst).
Both servers listen on 127.0.0.1 and are stopped by process id.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PACK = "aws-iam-identity-center"
NOTE_START = "fixbook: "  # the default note template's first words (webhooks/note.rs)
ADMIN, PASSWORD = "fixbook-admin", secrets.token_hex(12)
CUSTOMER = "customer@example.com"
SECRET = secrets.token_hex(16)

SETTINGS = """
import os
BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "test-only-{key}"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "helpdesk", "rest_framework",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3",
                           "NAME": os.path.join(BASE_DIR, "db.sqlite3")}}}}
SITE_ID = 1
USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_API_ENABLED = True
HELPDESK_KB_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

SETUP = """
from django.contrib.auth import get_user_model
from helpdesk.models import Queue
get_user_model().objects.create_superuser("{admin}", "admin@example.com", "{password}")
Queue.objects.create(title="IT support", slug="it", allow_public_submission=True)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def examples():
    """The pack's search examples that need no facts (a new ticket carries none): (name,
    text, expected entry)."""
    path = ROOT / "packs" / PACK / "tests" / "search.toml"
    data = tomllib.loads(path.read_text())
    return [
        (e["name"], e["text"].strip(), f"{PACK}/{e['expect']}")
        for e in data["examples"]
        if "expect" in e and not e.get("facts")
    ]


def printer_jam():
    path = ROOT / "packs" / PACK / "tests" / "negatives.toml"
    data = tomllib.loads(path.read_text())
    return next(e["text"] for e in data["examples"] if "printer" in e["name"])


def subject_of(text):
    first = text.splitlines()[0].strip()
    return first if len(first) <= 100 else first[:97] + "..."


class Helpdesk:
    """The Django site: set up, run, and spoken to through its forms and REST API."""

    def __init__(self, workdir, port, webhook_url):
        self.dir = workdir / "site"
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="settings",
            PYTHONPATH=str(self.dir),
            HELPDESK_NEW_TICKET_WEBHOOK_URLS=webhook_url,
            HELPDESK_FOLLOWUP_WEBHOOK_URLS=webhook_url,
        )
        self.proc = None
        self.api = None
        self.log = workdir / "helpdesk.log"

    def manage(self, *args):
        subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=self.dir, env=self.env, check=True,
            stdout=subprocess.DEVNULL,
        )

    def create(self):
        self.dir.mkdir(parents=True)
        (self.dir / "settings.py").write_text(SETTINGS.format(key=secrets.token_hex(16)))
        (self.dir / "urls.py").write_text(URLS)
        self.manage("migrate", "--noinput")
        self.manage("shell", "-c", SETUP.format(admin=ADMIN, password=PASSWORD))

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}",
             "--noreload", "--skip-checks"],
            cwd=self.dir, env=self.env,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "/login/", timeout=2)
                return
            except requests.ConnectionError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError("django-helpdesk did not start:\n" + self.log.read_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    # --- the web forms ------------------------------------------------------------------

    def form(self, session, path):
        r = session.get(self.base + path, timeout=10)
        r.raise_for_status()
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
        assert m, f"no CSRF token in {path}"
        # one queue: a hidden input; several: a select
        hidden = re.search(r'<input type="hidden" name="queue" value="(\d+)"', r.text)
        select = re.search(r'<select[^>]*name="queue".*?</select>', r.text, re.S)
        option = select and re.search(r'<option value="(\d+)"[^>]*>\s*IT support', select[0])
        queue = hidden or option
        return m.group(1), queue.group(1) if queue else None

    def staff_session(self):
        s = requests.Session()
        token, _ = self.form(s, "/login/")
        r = s.post(self.base + "/login/", data={
            "csrfmiddlewaretoken": token, "username": ADMIN, "password": PASSWORD,
            "next": "/tickets/",
        }, headers={"Referer": self.base + "/login/"}, timeout=10, allow_redirects=False)
        assert r.status_code == 302, f"login failed: {r.status_code}"
        return s

    def submit(self, session, title, body, staff):
        """Submits the ticket form; returns (ticket id, public view URL or None, seconds at
        the start of the submission)."""
        token, queue = self.form(session, "/tickets/submit/")
        assert queue, "the form offers no IT support queue"
        data = {
            "csrfmiddlewaretoken": token, "queue": queue, "title": title, "body": body,
            "priority": "3", "submitter_email": CUSTOMER,
        }
        if staff:
            data["assigned_to"] = ""
        start = time.monotonic()
        r = session.post(self.base + "/tickets/submit/", data=data,
                         headers={"Referer": self.base + "/tickets/submit/"},
                         timeout=30, allow_redirects=False)
        assert r.status_code == 302, f"ticket form answered {r.status_code}: {r.text[:2000]}"
        loc = r.headers["Location"]
        if staff:
            m = re.search(r"/tickets/(\d+)/", loc)
            return int(m.group(1)), None, start
        m = re.search(r"ticket=[^&]*?-?(\d+)(?:&|$)", loc)
        assert m, f"public form redirected to {loc}"
        return int(m.group(1)), loc, start

    # --- the REST API -------------------------------------------------------------------

    def ticket(self, ticket_id):
        # read with the staff session: basic authentication would hash the password on
        # every poll and slow the helpdesk down for the write-back being timed
        if self.api is None:
            self.api = self.staff_session()
        r = self.api.get(f"{self.base}/api/tickets/{ticket_id}/", timeout=10)
        r.raise_for_status()
        return r.json()

    def resolve(self, ticket_id, comment):
        """Resolves a ticket with a public follow-up through the REST API (which, like the
        staff form, sends the follow-up webhook)."""
        r = requests.post(f"{self.base}/api/followups/", auth=(ADMIN, PASSWORD), timeout=30,
                          json={"ticket": ticket_id, "comment": comment, "new_status": 3,
                                "public": True})
        assert r.status_code == 201, f"resolving {ticket_id}: {r.status_code} {r.text[:500]}"

    def notes(self, ticket_id):
        return [f for f in self.ticket(ticket_id)["followup_set"]
                if f["comment"].startswith(NOTE_START)]


class Fixbook:
    """`fixbook serve` with the django-helpdesk webhook configured."""

    def __init__(self, binary, workdir, helpdesk_base):
        self.binary = binary
        self.config = workdir / "fixbook.toml"
        self.config.write_text(
            "[webhooks.django-helpdesk]\n"
            f'writeback_url = "{helpdesk_base}"\n'
            'username_env = "FIXBOOK_HELPDESK_USER"\n'
            'password_env = "FIXBOOK_HELPDESK_PASSWORD"\n'
            'secret_env = "FIXBOOK_HELPDESK_SECRET"\n'
            "retry_base_ms = 200\n"
            "[outcomes]\n"
            f'path = "{workdir / "outcomes.db"}"\n'
        )
        self.log = workdir / "fixbook.log"
        self.proc = None
        self.addr = None

    def start(self):
        env = dict(os.environ, FIXBOOK_HELPDESK_USER=ADMIN, FIXBOOK_HELPDESK_PASSWORD=PASSWORD,
                   FIXBOOK_HELPDESK_SECRET=SECRET, FIXBOOK_PACK_PATH="")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", "127.0.0.1:0", "--config", str(self.config)],
            env=env, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            raise RuntimeError(f"fixbook serve: {line!r}\n{self.log.read_text()}")
        self.addr = line.removeprefix("listening on ")

    def resolved_count(self, text, entry):
        """How many resolutions of `entry` fixbook's outcome store holds (the trace's prior)."""
        r = requests.post(f"{self.addr}/v1/diagnose", json={"text": text, "trace": True},
                          timeout=10)
        for c in r.json()["trace"]["candidates"]:
            if c["id"] == entry:
                return (c.get("prior") or {}).get("resolved", 0)
        return 0

    def webhook_url(self, secret=SECRET):
        return f"{self.addr}/v1/webhooks/django-helpdesk?secret={secret}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def expect_of(note):
    """The entry id a note names (`[pack/entry]` on its first line)."""
    m = re.search(r"\[([a-z0-9-]+/[a-z0-9-]+)\]", note.splitlines()[0])
    return m.group(1) if m else note


def wait_for_note(helpdesk, ticket_id, timeout=20.0):
    """Polls the ticket until a fixbook follow-up is there; returns (notes, arrival time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = helpdesk.notes(ticket_id)
        if notes:
            return notes, time.monotonic()
        time.sleep(0.02)
    return [], None


def wait_for_log(path, pattern, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, path.read_text()):
            return True
        time.sleep(0.05)
    return False


class Results:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixbook", required=True)
    ap.add_argument("--tickets", type=int, default=50)
    ap.add_argument("--keep", action="store_true", help="keep the site and the logs")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fixbook-helpdesk-"))
    res = Results()
    port = free_port()
    fixbook = Fixbook(os.path.abspath(args.fixbook), work, f"http://127.0.0.1:{port}")
    helpdesk = None
    try:
        fixbook.start()
        helpdesk = Helpdesk(work, port, fixbook.webhook_url())
        helpdesk.create()
        helpdesk.start()
        run_checks(helpdesk, fixbook, res, args.tickets)
    finally:
        if helpdesk:
            helpdesk.stop()
        fixbook.stop()
    if res.failed or args.keep:
        print(f"logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


def run_checks(helpdesk, fixbook, res, count):
    cases = examples()
    staff = helpdesk.staff_session()
    public = requests.Session()
    latencies = []
    created = []
    for i in range(count):
        name, text, expect = cases[i % len(cases)]
        via_staff = i % 2 == 0
        session = staff if via_staff else public
        ticket_id, public_url, start = helpdesk.submit(session, subject_of(text), text, via_staff)
        notes, arrived = wait_for_note(helpdesk, ticket_id)
        form = "staff" if via_staff else "public"
        res.check(len(notes) == 1, f"{name} ({form} form, ticket {ticket_id}): "
                                   f"{len(notes)} fixbook follow-ups")
        if not notes:
            continue
        latencies.append(arrived - start)
        note = notes[0]
        res.check(note["public"] is False, f"{name}: the follow-up is public")
        res.check(f"[{expect}]" in note["comment"],
                  f"{name}: the note names {expect}: {note['comment'][:200]!r}")
        res.check("1. " in note["comment"] and "Ask the customer" in note["comment"],
                  f"{name}: the note has no numbered steps or question")
        created.append((ticket_id, public_url, note["comment"]))

    # the public ticket page (the submitter's view) does not show the internal note
    public_views = [(t, u, c) for t, u, c in created if u]
    res.check(bool(public_views), "no ticket came through the public form")
    for ticket_id, url, comment in public_views[:5]:
        page = requests.get(helpdesk.base + url if url.startswith("/") else url, timeout=10)
        first_line = comment.splitlines()[0]
        res.check(page.status_code == 200 and CUSTOMER in page.text,
                  f"the public page of ticket {ticket_id} is not the ticket's page")
        res.check(first_line not in page.text and expect_of(comment) not in page.text,
                  f"the public page of ticket {ticket_id} shows the internal note")

    # a printer jam gets no note
    jam_id, _, _ = helpdesk.submit(public, "Printer problem", printer_jam(), staff=False)
    res.check(wait_for_log(fixbook.log, rf"no note: nothing matched .*ticket={jam_id}\b"),
              f"fixbook did not finish the printer-jam ticket {jam_id}")
    res.check(helpdesk.notes(jam_id) == [], f"the printer-jam ticket {jam_id} got a note")

    # redelivery: the same webhook again adds nothing
    ticket_id = created[0][0]
    payload = {"ticket": helpdesk.ticket(ticket_id), "queue_slug": "it"}
    r = requests.post(fixbook.webhook_url(), json=payload, timeout=5)
    res.check(r.status_code == 202 and r.json().get("status") == "duplicate",
              f"redelivery answered {r.status_code} {r.text}")
    # an unsigned or wrongly signed delivery is refused, and changes nothing
    for url in (f"{fixbook.addr}/v1/webhooks/django-helpdesk", fixbook.webhook_url("wrong")):
        r = requests.post(url, json=payload, timeout=5)
        res.check(r.status_code == 401 and r.json()["error"]["kind"] == "unauthorized",
                  f"a delivery to {url.split('?')[0]} without the secret answered {r.status_code}")
    time.sleep(1.0)
    res.check(len(helpdesk.notes(ticket_id)) == 1, "redelivery added a second follow-up")

    # resolving a noted ticket records the note's entry as resolved, once; resolving the
    # printer jam (no note) records nothing
    ticket_id, _, comment = created[0]
    entry = expect_of(comment)
    text = helpdesk.ticket(ticket_id)["description"]
    before = fixbook.resolved_count(text, entry)
    helpdesk.resolve(ticket_id, "Signing in again fixed it.")
    res.check(wait_for_log(fixbook.log, rf"resolution recorded .*ticket={ticket_id}\b"),
              f"resolving ticket {ticket_id} recorded no feedback")
    res.check(fixbook.resolved_count(text, entry) == before + 1,
              f"the outcome store does not hold the resolution of {entry}")
    helpdesk.resolve(jam_id, "Cleared the paper path.")
    time.sleep(0.5)
    res.check(not wait_for_log(fixbook.log, rf"resolution recorded .*ticket={jam_id}\b", 1.0),
              "resolving the printer-jam ticket recorded feedback")
    res.check(len(helpdesk.notes(ticket_id)) == 1, "resolving added a fixbook note")

    if latencies:
        ms = sorted(x * 1000 for x in latencies)
        print(f"ticket form submitted -> fixbook note on the ticket, {len(ms)} tickets: "
              f"median {statistics.median(ms):.0f} ms, worst {ms[-1]:.0f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())
