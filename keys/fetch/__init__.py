"""The one guarded fetcher every remote document goes through.

Verifying a credential means dereferencing URLs that the *credential's author* chose: did:web
documents, ``https`` verification methods and controller documents, status list credentials,
badge links, issuer registries. Whoever hands us a credential therefore decides where the
verifier connects. Without a guard that is a server-side request forgery (SSRF) primitive: a
verifier running in a cloud VPC could be made to read ``http://169.254.169.254/`` (instance
credentials), probe ``10.0.0.0/8`` or talk to services on ``localhost``, and to hang or exhaust
memory on a hostile server. :class:`GuardedFetcher` is the single choke point that prevents it.

Threat model and what each defence is for:

* **Scheme.** Only ``https``. Plain ``http`` is allowed only for local development
  (``allow_http_localhost=True`` *and* the host is ``localhost`` or a loopback IP literal), so a
  credential can never make us read ``file:``, ``ftp:``, ``gopher:``, ``data:`` ... URLs. URLs
  with userinfo (``https://user@host``) are refused: they are used to disguise the real host.
* **Address.** The host name is resolved *before* anything connects, and the fetch is refused if
  **any** resolved address is not globally routable: private, loopback, link-local (cloud
  metadata), unspecified, multicast, reserved, shared/CGN (``100.64.0.0/10``), documentation
  ranges, site-local, and IPv6 forms that embed such an IPv4 address (IPv4-mapped, NAT64,
  6to4, Teredo), and every IANA special-purpose block, written out in
  :mod:`keys.fetch.special_purpose` because Python's own tables lag the registries. Legacy
  numeric host spellings that the C resolver accepts (``2130706433``,
  ``0x7f.1``, ``127.1``, octal) are decoded and judged as the address they denote; ``localhost``
  and ``*.localhost`` (RFC 6761: loopback by definition) are refused without asking a
  resolver. Exceptions are explicit: host names listed in ``allowed_private_hosts`` (an
  internal registry, say) and, with ``allow_http_localhost``, loopback addresses of
  ``localhost`` itself.
* **DNS rebinding.** A name can resolve to a public address when checked and to ``127.0.0.1``
  when the HTTP library resolves it again a millisecond later. So the library never resolves:
  the default transport is built on an ``httpcore`` network backend that connects only to the
  addresses this module has just checked (TLS SNI, certificate verification and the ``Host``
  header still use the name). Redirects are never followed by httpx; each hop is re-parsed,
  re-resolved, re-checked and pinned the same way, and a redirect to a forbidden target fails
  before any request is sent to it. Environment proxies are ignored (``trust_env=False``), since
  a proxy would resolve the name itself and defeat the pinning.
* **Resource exhaustion.** A total time budget (``timeout``, name resolution included), a body
  size limit enforced on the declared ``Content-Length``, on the bytes received *and* on the
  decoded bytes (gzip/deflate are inflated by this module with a bounded output, so a
  decompression bomb stops at ``max_bytes``), at most ``max_redirects`` hops, a bounded cache.
* **Cross-verification tracking.** Cookies are neither stored nor sent.

Residual risk, stated plainly:

* Pinning applies to the default transport only. An injected ``transport`` (tests use
  ``httpx.MockTransport``) gets the same URL and address checks before each request, but if it
  opens real connections it resolves names by itself.
* The total deadline is checked between reads; one socket read may overrun it by at most the
  time that was left when the hop started, so the worst case is about twice ``timeout``.
* Name resolution runs in a worker thread so that it counts against the deadline; a resolver
  call that hangs keeps its worker thread busy until the system resolver gives up.
* Every address of a name must be public, but a public address is trusted as such: we cannot
  tell whether a public IP is routed to something the operator considers internal.

Errors raised are all :class:`keys.errors.FetchError` subclasses and name the URL::

    FetchError            resolution failed, transport error, undecodable or non-JSON body
    ├── FetchBlocked      scheme, userinfo, forbidden address, bad redirect, too many redirects
    ├── FetchTimeout      the total time budget ran out
    ├── FetchTooLarge     the body (declared, received or decoded) exceeds max_bytes
    └── FetchStatusError  a non-2xx status (``.status`` holds it)

:meth:`GuardedFetcher.post` sends one body (an OAuth registration or token request, an OB 3.0
API upsert) under the same address policy, pinning, time budget and body limit; it follows no
redirect (a 307 would resend the body and its credentials elsewhere), caches nothing and hands
back a :class:`FetchResponse` whatever its status, so a protocol's error answer can be read.

Successful bodies are cached in memory per fetcher, keyed by ``(url, accept)``, fresh until the
earliest of ``Cache-Control: max-age``/``Expires`` (default :data:`DEFAULT_CACHE_TTL`, capped at
:data:`MAX_CACHE_TTL`) and, for JSON bodies, the document's own ``credentialSubject.ttl``
(milliseconds, Bitstring Status List) and ``validUntil``/``expirationDate``: a status list is
never served from cache past the moment its issuer said it stops being valid.

One module per job:

=========================  ===============================================================
:mod:`.policy`             which URLs and addresses may be fetched (scheme, SSRF deny list)
:mod:`.transport`          httpx over a backend that connects only to checked addresses
:mod:`.decoding`           ``Content-Encoding`` undone with a bounded output
:mod:`.http_cache`         RFC 9111 freshness and the bounded LRU of fetched documents
:mod:`.status_ttl`         the freshness a document sets itself (``ttl``, ``validUntil``)
:mod:`.preloads`           ``--preload URL=FILE`` documents, served without a network
:mod:`.document`           :class:`FetchedDocument` and strict JSON reading
:mod:`.protocol`           :class:`Fetcher`, what the layers above need from a fetcher
:mod:`.fetcher`            :class:`GuardedFetcher`, which strings them together
=========================  ===============================================================
"""

from keys.fetch.document import FetchedDocument, FetchResponse
from keys.fetch.fetcher import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    GuardedFetcher,
)
from keys.fetch.http_cache import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CACHE_MAX_ENTRIES,
    DEFAULT_CACHE_TTL,
    MAX_CACHE_TTL,
)
from keys.fetch.policy import Resolver
from keys.fetch.preloads import parse_preload_args
from keys.fetch.protocol import Fetcher

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_CACHE_MAX_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "MAX_CACHE_TTL",
    "USER_AGENT",
    "FetchResponse",
    "FetchedDocument",
    "Fetcher",
    "GuardedFetcher",
    "Resolver",
    "parse_preload_args",
]
