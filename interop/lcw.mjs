#!/usr/bin/env node
/*
 * The Learner Credential Wallet's side of microcred's exchange, done the way
 * LCW does it (openwallet-foundation-labs/learner-credential-wallet @1c46a82:
 * app/lib/did.ts, present.ts, credentialRequest.ts, decode.ts, exchanges.ts),
 * with the libraries LCW itself pins: @digitalcredentials/vc 10.0.2,
 * ed25519-signature-2020 6.0.0, ed25519-verification-key-2020 5.0.0 and
 * did-method-key 3.0.0. What it receives is checked with DCC verifier-core.
 * tests/interop/test_lcw_interop.py runs it against a live `microcred serve`.
 *
 *   echo '{"link": "http://127.0.0.1:8000/exchanges/…?iuv=1", "allowHttp": true}' \
 *     | node interop/lcw.mjs
 *
 * Request:
 *   link       the interaction URL (`…?iuv=1`, or `interaction:…`) or the legacy
 *              `dccrequest://request?issuer=…&vc_request_url=…&challenge=…
 *              &auth_type=bearer` link, as the claim page shows them;
 *   claim      instead of `link`: a claim page's URL (from the email); its
 *              "Open in wallet" link is taken, as an educator presses it;
 *   save       a file to write the received credential to (for `microcred verify`);
 *   allowHttp  the service runs on http://127.0.0.1 (a development run): allow
 *              http for its URLs, and read its did:web documents over http;
 *   tamper     "challenge" | "domain" | "holder" | "none" (default): sign with
 *              a wrong challenge, a wrong domain (interaction URL only: the
 *              legacy link carries none), or name another DID as `holder` than
 *              the one whose key signs;
 *   replay     after a completed exchange, POST the very same body again and
 *              report what the service answered (`replay: {status, body}`);
 *   race       N wallets (each its own DID) walk the exchange up to the last
 *              POST, then all send it at once; `race: [result, …]`.
 *
 * One JSON line on stdout, exit 0 when the exchange ran to an answer:
 *   {ok: true, holder, credential, subjectIsHolder, verification, replay?}
 *   {ok: false, step, status, body, holder}  the service refused (HTTP status
 *                                            and its JSON body) at `step`
 *   {ok: true, race: [ {ok, …}, … ]}
 * Exit 1 with {ok: false, error} when the wallet itself failed (a malformed
 * link, a request LCW would refuse, a crash).
 *
 * Network: the wallet talks to the link's service and nothing else. Contexts
 * come from the bundled packages and microcred's pinned copies
 * (documents.mjs); verifier-core's fetches go to the service when they name it
 * (status lists, the issuer's did:web document) and are answered locally or
 * with a 404 otherwise.
 */
import crypto from 'node:crypto';
import {format} from 'node:util';
import * as vc from '@digitalcredentials/vc';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalcredentials/ed25519-verification-key-2020';
import * as DidMethodKey from '@digitalcredentials/did-method-key';
import {
  DEFAULT_CONTEXTS_DIR, LocalDocuments, bundledContexts
} from './documents.mjs';
import {linkFromClaim, save} from './claim.mjs';

// stdout carries only our JSON line; libraries' diagnostics go to stderr.
for(const level of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[level] = (...args) => process.stderr.write(format(...args) + '\n');
}

const networkFetch = globalThis.fetch;
const TAMPER = new Set(['none', 'challenge', 'domain', 'holder']);

/** The service said no: its HTTP status and body, and the step it refused. */
class Refused extends Error {
  constructor(step, status, body) {
    super(`${step}: HTTP ${status}`);
    this.step = step;
    this.status = status;
    this.body = body;
  }
}

async function readStdin() {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
  }
  return JSON.parse(text);
}

/** A fresh profile DID, as LCW's `mintDid` makes one (app/lib/did.ts). */
async function mintDid() {
  const driver = DidMethodKey.driver();
  driver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519VerificationKey2020.from
  });
  const keyPair = await Ed25519VerificationKey2020.generate({
    seed: new Uint8Array(crypto.randomBytes(32))
  });
  const {didDocument} = await driver.fromKeyPair({verificationKeyPair: keyPair});
  keyPair.controller = didDocument.id;
  keyPair.id = `${didDocument.id}#${keyPair.fingerprint()}`;
  return {did: didDocument.id, keyPair};
}

/**
 * The two kinds of link LCW follows into an issuance: `{kind: 'interaction',
 * url}` or `{kind: 'request', params}` (decode.ts `isCredentialRequestParams`
 * and credentialRequest.ts: `issuer` and `vc_request_url` required, `auth_type`
 * defaults to `code`, which LCW refuses).
 */
function parseLink(link) {
  if(typeof link !== 'string') {
    throw new TypeError('"link" must be a string');
  }
  const text = link.startsWith('interaction:') ?
    link.slice('interaction:'.length) : link;
  if(/^dccrequest:\/\/request\?/.test(text)) {
    const params = Object.fromEntries(
      new URLSearchParams(text.slice(text.indexOf('?') + 1)));
    if(params.issuer === undefined || params.vc_request_url === undefined) {
      throw new Error('The QR code contained an invalid deep link.');
    }
    const authType = params.auth_type ?? 'code';
    if(authType !== 'bearer') {
      throw new Error(`Unsupported auth_type value: "${authType}".`);
    }
    return {kind: 'request', params, url: params.vc_request_url};
  }
  const url = new URL(text);
  if(url.searchParams.get('iuv') !== '1') {
    throw new Error('not a wallet link: need an interaction URL (?iuv=1) ' +
      'or a dccrequest://request link');
  }
  return {kind: 'interaction', url: url.href};
}

/** http(s) to the service only; http only when allowed. */
function checkUrl(url, allowHttp) {
  const parsed = new URL(url);
  if(parsed.protocol === 'https:' ||
    (parsed.protocol === 'http:' && allowHttp)) {
    return parsed;
  }
  throw new Error(`refusing to fetch ${url}` +
    (parsed.protocol === 'http:' ? ' (http: pass "allowHttp")' : ''));
}

async function call(step, url, init, allowHttp) {
  checkUrl(url, allowHttp);
  const response = await networkFetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if(!response.ok) {
    throw new Refused(step, response.status, body);
  }
  return {status: response.status, body};
}

function postJson(step, url, payload, allowHttp) {
  return call(step, url, {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(payload)
  }, allowHttp);
}

/** The DID-auth presentation, as present.ts / composeVp.ts sign it. */
async function didAuthPresentation(
  {wallet, other, challenge, domain, tamper, documentLoader}) {
  const holder = tamper === 'holder' ? other.did : wallet.did;
  const presentation = vc.createPresentation({holder, verify: false});
  return vc.signPresentation({
    presentation,
    suite: new Ed25519Signature2020({key: wallet.keyPair}),
    challenge: tamper === 'challenge' ?
      crypto.randomBytes(16).toString('base64url') : challenge,
    ...(domain !== undefined && {
      domain: tamper === 'domain' ? 'https://wallet.attacker.example' : domain
    }),
    documentLoader
  });
}

/** LCW's `extractCredentialsFrom`: the VC itself, or a VP's first one. */
function firstCredential(answer) {
  const types = [].concat(answer?.type ?? []);
  if(types.includes('VerifiablePresentation')) {
    return [].concat(answer.verifiableCredential ?? [])[0];
  }
  return types.includes('VerifiableCredential') ? answer : undefined;
}

/**
 * Walk the exchange up to its last POST; returns {url, body, receive} where
 * `receive(answer)` picks the credential out of the service's answer.
 */
async function prepare(request, link, wallet, documentLoader) {
  const {allowHttp, tamper = 'none'} = request;
  const other = tamper === 'holder' ? await mintDid() : null;
  if(link.kind === 'request') {
    if(tamper === 'domain') {
      throw new Error('the legacy link carries no domain to tamper with');
    }
    const vp = await didAuthPresentation({
      wallet, other, challenge: link.params.challenge, tamper, documentLoader
    });
    return {url: link.url, body: vp, receive: answer => firstCredential(answer)};
  }
  // interactionUrl.ts: GET with Accept: application/json -> protocols.vcapi
  const {body: invitation} = await call('interaction', link.url, {
    headers: {Accept: 'application/json'}
  }, allowHttp);
  const exchangeUrl = invitation?.protocols?.vcapi;
  if(typeof exchangeUrl !== 'string') {
    throw new Error('Only "vcapi" is currently supported');
  }
  // exchanges.ts: POST {} -> a verifiablePresentationRequest
  const {body: message} = await postJson('request', exchangeUrl, {}, allowHttp);
  const vpr = message?.verifiablePresentationRequest;
  if(!vpr) {
    throw new Error('the exchange answered no verifiablePresentationRequest');
  }
  const {challenge, domain} = vpr;
  if(!challenge || !domain) {
    throw new Error('the presentation request lacks a challenge or a domain');
  }
  const didAuth = [].concat(vpr.query ?? [])
    .filter(query => query?.type === 'DIDAuthentication');
  if(didAuth.length !== 1) {
    throw new Error(`expected one DIDAuthentication query, got ${didAuth.length}`);
  }
  const vp = await didAuthPresentation(
    {wallet, other, challenge, domain, tamper, documentLoader});
  return {
    url: exchangeUrl,
    body: {verifiablePresentation: vp},
    // LCW reads credentials only from the answer's verifiablePresentation
    receive: answer => firstCredential(answer?.verifiablePresentation)
  };
}

/**
 * verifier-core's verdict on what the wallet received. Its fetches that name
 * the service (status lists; the issuer's did:web document, whose https URL is
 * read over http under `allowHttp`) go to the service; anything else is
 * answered from local documents or 404, never the network.
 */
async function verify(credential, serviceOrigin, request) {
  const local = new LocalDocuments({
    contextsDir: DEFAULT_CONTEXTS_DIR, bundled: await bundledContexts()
  });
  const served = new URL(serviceOrigin);
  globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input :
      (input instanceof URL ? input.href : input.url));
    if(url.host === served.host) {
      if(request.allowHttp) {
        url.protocol = served.protocol;
      }
      return networkFetch(checkUrl(url.href, request.allowHttp).href, init);
    }
    return local.fetch(input, init);
  };
  try {
    const {verifyCredential} = await import('@digitalcredentials/verifier-core');
    const result = await verifyCredential({credential, knownDIDRegistries: []});
    const step = id => (result.log ?? []).find(entry => entry.id === id) ?? null;
    const errors = (result.errors ?? []).map(e => ({name: e.name, message: e.message}));
    return {
      valid_signature: step('valid_signature')?.valid === true &&
        errors.length === 0,
      revocation_status: step('revocation_status'),
      suspension_status: step('suspension_status'),
      expiration: step('expiration'),
      errors,
      log: result.log ?? [],
      blocked: local.report().blocked
    };
  } finally {
    globalThis.fetch = networkFetch;
  }
}

function refusal(error, wallet) {
  if(error instanceof Refused) {
    return {ok: false, step: error.step, status: error.status,
      body: error.body, holder: wallet.did};
  }
  throw error;
}

/** One wallet, the whole way: a result for stdout. */
async function runOne(request, link, documentLoader) {
  const wallet = await mintDid();
  let prepared;
  try {
    prepared = await prepare(request, link, wallet, documentLoader);
  } catch(error) {
    return refusal(error, wallet);
  }
  return finish(request, prepared, wallet);
}

async function finish(request, prepared, wallet) {
  let answer;
  try {
    ({body: answer} = await postJson(
      'present', prepared.url, prepared.body, request.allowHttp));
  } catch(error) {
    return refusal(error, wallet);
  }
  const credential = prepared.receive(answer);
  if(!credential) {
    throw new Error('Unable to receive credential: The issuer failed to ' +
      'return a Verifiable Credential (VC) or Verifiable Presentation (VP)');
  }
  const result = {
    ok: true,
    holder: wallet.did,
    credential,
    subjectIsHolder: [].concat(credential.credentialSubject)
      .every(subject => subject?.id === wallet.did),
    verification: await verify(credential, prepared.url, request)
  };
  if(request.replay) {
    try {
      const again = await postJson(
        'replay', prepared.url, prepared.body, request.allowHttp);
      result.replay = {status: again.status, body: again.body};
    } catch(error) {
      const {status, body} = refusal(error, wallet);
      result.replay = {status, body};
    }
  }
  return result;
}

/** N wallets prepare in turn, then send their last POST at the same time. */
async function race(request, link, documentLoader) {
  const wallets = [];
  for(let i = 0; i < request.race; i++) {
    const wallet = await mintDid();
    wallets.push({
      wallet, prepared: await prepare(request, link, wallet, documentLoader)
    });
  }
  return Promise.all(wallets.map(
    ({wallet, prepared}) => finish(request, prepared, wallet)));
}

async function main() {
  const request = await readStdin();
  const tamper = request.tamper ?? 'none';
  if(!TAMPER.has(tamper)) {
    throw new TypeError(`"tamper" must be one of ${[...TAMPER].join(', ')}`);
  }
  if(request.claim) {
    checkUrl(request.claim, request.allowHttp);
    request.link = await linkFromClaim(request.claim, wallets => wallets.lcw.deepLink);
  }
  const link = parseLink(request.link);
  checkUrl(link.url, request.allowHttp);
  const local = new LocalDocuments({
    contextsDir: DEFAULT_CONTEXTS_DIR, bundled: await bundledContexts()
  });
  const result = request.race ?
    {ok: true, race: await race(request, link, local.documentLoader)} :
    await runOne(request, link, local.documentLoader);
  save(request.save, result.credential);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.stdout.write(JSON.stringify({
    ok: false, error: {name: error.name, message: String(error.message)}
  }) + '\n');
  process.exit(1);
});
