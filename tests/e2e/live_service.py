"""A real issuer service on ``http://127.0.0.1:<free port>`` for end-to-end tests.

The app is the one ``microcred serve`` runs (``create_app``), served by uvicorn in a thread, on
a fresh data directory (SQLite) whose base URL is that http address — so credential ids, badge
links and status list URLs all point at the running server, as on a laptop after ``make run``.
Credentials are issued and revoked through the service functions the API and CLI call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.app import create_app
from issuer.db import make_engine
from issuer.models import AwardCreate, Issuer
from issuer.runtime import Runtime, start
from issuer.services import awards, status
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from tests.issuer.support import GOOD_AWARD, TEST_KEK, make_issuer
from tests.ports import free_port
from verifier.settings import VerifierSettings

__all__ = ["LiveService", "live_service"]


@dataclass
class LiveService:
    """The running service and handles to issue credentials on it."""

    base_url: str
    engine: Engine
    runtime: Runtime
    issuer: Issuer
    trust_list: Path
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)

    def award(self, name: str, **fields: Any) -> dict[str, Any]:
        """Issue one credential (GOOD_AWARD with ``fields``) and remember it as ``name``."""
        request = AwardCreate(**{**GOOD_AWARD, **fields})
        with Session(self.engine) as session:
            issuer = session.get(Issuer, self.issuer.id)
            assert issuer is not None
            row = awards.award(
                session=session, runtime=self.runtime, issuer=issuer, request=request
            ).award
            credential = json.loads(row.credential)
        self.credentials[name] = credential
        return credential

    def revoke(self, name: str, reason: str = "issued in error") -> None:
        """Revoke through the issuer's status service (the status list changes)."""
        with Session(self.engine) as session:
            status.revoke(session, self.runtime, self.credentials[name]["id"], reason, "e2e")


@contextmanager
def live_service(
    data_dir: Path, *, office_list: bool = True, **settings_extra: Any
) -> Iterator[LiveService]:
    """Start the service on a free port; stop it on exit.

    ``office_list``: the verifier also gets an office's trust list naming the issuer (as
    ``MICROCRED_VERIFIER_TRUST_LISTS`` would); without it, only the service's own issuers.
    ``settings_extra``: more :class:`Settings` fields (an SMTP server, say).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=data_dir, base_url=base_url, key_encryption_key=TEST_KEK, **settings_extra
    )
    engine = make_engine(settings)
    runtime = start(settings, engine)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        session.refresh(issuer)
        session.expunge(issuer)
    trust_list = data_dir / "nm-trust.json"
    trust_list.write_text(
        json.dumps(
            {
                "name": "NM PED approved providers",
                "issuers": [
                    {
                        "id": issuer.did,
                        "jurisdiction": "US-NM",
                        "purposes": ["license-advancement", "renewal-credit"],
                    }
                ],
            }
        )
    )
    verifier_settings = VerifierSettings(
        allow_http_localhost=True, trust_lists=[trust_list] if office_list else []
    )
    app = create_app(settings, engine=engine, runtime=runtime, verifier_settings=verifier_settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start on {base_url}")
        time.sleep(0.02)
    try:
        yield LiveService(base_url, engine, runtime, issuer, trust_list)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
