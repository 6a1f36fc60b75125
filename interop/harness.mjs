#!/usr/bin/env node
/*
 * microcred interop harness: runs the reference JavaScript implementations
 * (Digital Bazaar's vc / data-integrity / ed25519 suites, and the Digital
 * Credentials Consortium's verifier-core) so Python tests can check that what
 * microcred signs verifies there, and what they sign verifies in microcred.
 *
 *   echo '{"op": "...", ...}' | node interop/harness.mjs
 *
 * One JSON request on stdin, one JSON result on stdout. Exit 0 for any
 * completed operation, including "not verified"; exit 1 (with
 * {"ok": false, "error": {...}} on stdout and the message on stderr) when the
 * request itself could not be carried out. Ops and their shapes: README.md.
 *
 * It never touches the network. Every document comes from, in this order:
 *   1. `documents` in the request ({url: json}: DID documents, status lists,
 *      controller documents, extra contexts);
 *   2. microcred's pinned contexts (`<contextsDir>/manifest.json`);
 *   3. contexts bundled in the JS packages themselves.
 * did:key is resolved locally. Anything else is refused and reported in
 * `blocked`; `loaded` says which source served each URL.
 */
import path from 'node:path';
import {format} from 'node:util';
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalbazaar/ed25519-verification-key-2020';
import {checkStatus as bitstringCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';
import {cryptosuite as ecdsaRdfc2019} from
  '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as ecdsaJcs2019 from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import * as eddsaJcs2022 from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {Ed25519Signature2018} from '@digitalbazaar/ed25519-signature-2018';
import {Ed25519VerificationKey2018} from
  '@digitalbazaar/ed25519-verification-key-2018';
import {
  DEFAULT_CONTEXTS_DIR, LocalDocuments, bundledContexts
} from './documents.mjs';

// (Static imports run before this point, but no library opens a socket or
// logs at import time; verifier-core is imported lazily in verify-dcc.)

// Libraries (verifier-core among them) console.log diagnostics; stdout carries
// only our JSON result, so every console method goes to stderr.
for(const level of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[level] = (...args) => process.stderr.write(format(...args) + '\n');
}

// Belt and braces: no socket can be opened at all. The document loaders and
// the fetch() stand-in (documents.mjs) serve local data; this catches any library path
// that would bypass them (undici agents, http.get, ...).
function refuse(what) {
  return () => {
    throw new Error(`interop harness is offline: ${what} refused`);
  };
}
net.connect = net.createConnection = refuse('net.connect');
tls.connect = refuse('tls.connect');
for(const mod of [http, https]) {
  mod.request = mod.get = refuse(`${mod === http ? 'http' : 'https'} request`);
}

const {AssertionProofPurpose} = jsigs.purposes;

// --------------------------------------------------------------------- keys

// Ed25519 key pair from `seedHex` (32 bytes) or from
// `secretKeyMultibase` (alias `privateKeyMultibase`; 0x8026 header followed by
// the 32-byte seed or 64-byte seed||public key) + `publicKeyMultibase`.
// Both are reduced to the seed and regenerated, so the secret is always the
// 64-byte form Ed25519VerificationKey2020 insists on, and a public key that
// does not belong to the secret is caught here rather than at verification.
// Without `verificationMethod`, the key signs as its own did:key.
async function keyPairFrom(req) {
  let seed;
  const secretKeyMultibase = req.secretKeyMultibase ?? req.privateKeyMultibase;
  if(req.seedHex) {
    seed = Uint8Array.from(Buffer.from(req.seedHex, 'hex'));
  } else if(secretKeyMultibase && req.publicKeyMultibase) {
    const imported = await Ed25519Multikey.from({
      type: 'Multikey',
      publicKeyMultibase: req.publicKeyMultibase,
      secretKeyMultibase
    });
    const {secretKey} = await imported.export({secretKey: true, raw: true});
    seed = secretKey.subarray(0, 32);
  } else {
    throw new TypeError('need "seedHex", or "secretKeyMultibase" and ' +
      '"publicKeyMultibase"');
  }
  const generated = await Ed25519Multikey.generate({seed});
  const {publicKeyMultibase, secretKeyMultibase: secret} = generated;
  if(req.publicKeyMultibase && req.publicKeyMultibase !== publicKeyMultibase) {
    throw new Error(`secret key does not match "publicKeyMultibase": it ` +
      `gives ${publicKeyMultibase}, request says ${req.publicKeyMultibase}`);
  }
  const verificationMethod = req.verificationMethod ??
    `did:key:${publicKeyMultibase}#${publicKeyMultibase}`;
  const controller = req.controller ?? verificationMethod.split('#')[0];
  const multikey = await Ed25519Multikey.from({
    type: 'Multikey', id: verificationMethod, controller,
    publicKeyMultibase, secretKeyMultibase: secret
  });
  return {
    multikey, publicKeyMultibase, secret, verificationMethod, controller,
    seedHex: Buffer.from(seed).toString('hex')
  };
}

async function signingSuite(req, cryptosuite) {
  const key = await keyPairFrom(req);
  if(cryptosuite === 'eddsa-rdfc-2022') {
    return new DataIntegrityProof({
      signer: key.multikey.signer(),
      cryptosuite: eddsaRdfc2022,
      date: req.created
    });
  }
  if(cryptosuite === 'Ed25519Signature2020') {
    const key2020 = await Ed25519VerificationKey2020.from({
      type: 'Ed25519VerificationKey2020',
      id: key.verificationMethod,
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase,
      privateKeyMultibase: key.secret
    });
    return new Ed25519Signature2020({key: key2020, date: req.created});
  }
  throw new TypeError(`unknown cryptosuite "${cryptosuite}"`);
}

// Every suite a verifier accepts: DataIntegrityProof with eddsa-rdfc-2022,
// ecdsa-rdfc-2019, eddsa-jcs-2022 and ecdsa-jcs-2019, and the legacy
// Ed25519Signature2020 and Ed25519Signature2018.
function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019}),
    new DataIntegrityProof({
      cryptosuite: eddsaJcs2022.createVerifyCryptosuite()
    }),
    new DataIntegrityProof({
      cryptosuite: ecdsaJcs2019.createVerifyCryptosuite()
    }),
    new Ed25519Signature2020(),
    new Ed25519Signature2018()
  ];
}

// A signing suite for `sign-suite`: the ECDSA suites take a P-256 or P-384
// private JWK (`privateJwk`), the EdDSA ones an Ed25519 key as keyPairFrom
// reads it. Without `verificationMethod`, the key signs as its own did:key.
async function anySigningSuite(req) {
  const date = req.created;
  if(req.suite === 'ecdsa-rdfc-2019' || req.suite === 'ecdsa-jcs-2019') {
    if(!req.privateJwk) {
      throw new TypeError(`${req.suite} needs "privateJwk" (P-256 or P-384)`);
    }
    const probe = await EcdsaMultikey.fromJwk({jwk: req.privateJwk});
    const multibase = probe.publicKeyMultibase;
    const id = req.verificationMethod ?? `did:key:${multibase}#${multibase}`;
    const controller = req.controller ?? id.split('#')[0];
    const keyPair = await EcdsaMultikey.fromJwk({
      jwk: req.privateJwk, secretKey: true, id, controller
    });
    const cryptosuite = req.suite === 'ecdsa-rdfc-2019' ? ecdsaRdfc2019 :
      ecdsaJcs2019.createSignCryptosuite();
    return new DataIntegrityProof({
      signer: keyPair.signer(), cryptosuite, date
    });
  }
  if(req.suite === 'eddsa-jcs-2022') {
    const key = await keyPairFrom(req);
    return new DataIntegrityProof({
      signer: key.multikey.signer(),
      cryptosuite: eddsaJcs2022.createSignCryptosuite(),
      date
    });
  }
  if(req.suite === 'Ed25519Signature2018') {
    const key = await keyPairFrom(req);
    const seed = Uint8Array.from(Buffer.from(key.seedHex, 'hex'));
    const key2018 = await Ed25519VerificationKey2018.generate({
      seed, id: key.verificationMethod, controller: key.controller
    });
    return new Ed25519Signature2018({key: key2018, date});
  }
  return signingSuite(req, req.suite);
}

// ------------------------------------------------------------------ results

// JSON that keeps what Error objects carry (name, message, details, nested
// errors, cause) instead of "{}", and survives cycles.
function toJson(value) {
  const seen = new WeakSet();
  return JSON.parse(JSON.stringify(value, function(key, v) {
    if(v instanceof Error) {
      const {stack, ...own} = Object.fromEntries(Object.entries(v));
      return {name: v.name, message: v.message, ...own,
        ...(v.cause !== undefined && {cause: v.cause})};
    }
    if(v instanceof Uint8Array) {
      return Buffer.from(v).toString('hex');
    }
    if(v instanceof Map) {
      return Object.fromEntries(v);
    }
    if(typeof v === 'bigint') {
      return v.toString();
    }
    if(v && typeof v === 'object') {
      if(seen.has(v)) {
        return '[Circular]';
      }
      seen.add(v);
    }
    return v;
  }) ?? null);
}

// Every error message anywhere in a DB verification result, outermost first.
function errorMessages(result) {
  const messages = [];
  const visit = error => {
    if(!error) {
      return;
    }
    for(const e of [].concat(error)) {
      if(e?.message && !messages.includes(e.message)) {
        messages.push(e.message);
      }
      visit(e?.errors);
      visit(e?.cause);
    }
  };
  visit(result.error);
  for(const r of result.results ?? []) {
    visit(r.error);
    visit(r.purposeResult?.error);
  }
  visit(result.statusResult?.error);
  visit(result.presentationResult?.error);
  for(const r of result.credentialResults ?? []) {
    messages.push(...errorMessages(r).filter(m => !messages.includes(m)));
  }
  return messages;
}

// DB's checkStatus says `verified: true` for a *revoked* credential (the
// status list was checked fine) and puts the bit in `status`; surface it.
function statuses(statusResult) {
  return (statusResult?.results ?? []).map(r => ({
    statusPurpose: r.credentialStatus?.statusPurpose,
    statusListIndex: r.credentialStatus?.statusListIndex,
    status: r.status
  }));
}

// Without checkStatus, vc.verifyCredential refuses credentials that carry
// credentialStatus; this stand-in lets the signature be checked on its own.
const skipStatus = async () => ({verified: true, skipped: true});

function dbStatusChecker(req) {
  return req.checkStatus ? bitstringCheckStatus : skipStatus;
}

// ---------------------------------------------------------------------- ops

const ops = {
  async 'sign-eddsa-rdfc-2022'(req, local) {
    return signCredential(req, local, 'eddsa-rdfc-2022');
  },

  async 'sign-ed25519-2020'(req, local) {
    return signCredential(req, local, 'Ed25519Signature2020');
  },

  // Any suite: `suite` is one of ecdsa-rdfc-2019, ecdsa-jcs-2019 (with
  // `privateJwk`), eddsa-jcs-2022, Ed25519Signature2018, eddsa-rdfc-2022,
  // Ed25519Signature2020 (with an Ed25519 key as keyPairFrom reads it).
  async 'sign-suite'(req, local) {
    const signed = await vc.issue({
      credential: structuredClone(req.credential),
      suite: await anySigningSuite(req),
      documentLoader: local.documentLoader
    });
    return {signed};
  },

  async 'verify-db'(req, local) {
    const result = await vc.verifyCredential({
      credential: req.credential,
      suite: verifySuites(),
      documentLoader: local.documentLoader,
      checkStatus: dbStatusChecker(req),
      // checkIssuer: false verifies the proof and that the key is an
      // assertionMethod of its controller, without vc's extra rule that the
      // controller *is* the issuer (needed for W3C vectors whose issuer is
      // an https URL but whose key is a did:key).
      ...(req.checkIssuer === false && {purpose: new AssertionProofPurpose()}),
      ...(req.now && {now: req.now})
    });
    return {
      verified: result.verified === true,
      errors: errorMessages(result),
      statuses: statuses(result.statusResult),
      results: toJson(result)
    };
  },

  async 'verify-presentation-db'(req, local) {
    const result = await vc.verify({
      presentation: req.presentation,
      suite: verifySuites(),
      documentLoader: local.documentLoader,
      checkStatus: dbStatusChecker(req),
      challenge: req.challenge,
      domain: req.domain,
      unsignedPresentation: req.unsignedPresentation === true,
      ...(req.now && {now: req.now})
    });
    return {
      verified: result.verified === true,
      errors: errorMessages(result),
      presentationVerified: result.presentationResult?.verified ?? null,
      credentialsVerified: (result.credentialResults ?? [])
        .map(r => r.verified === true),
      results: toJson(result)
    };
  },

  async 'sign-presentation'(req, local) {
    const suite = await signingSuite(req,
      req.cryptosuite === 'Ed25519Signature2020' ?
        'Ed25519Signature2020' : 'eddsa-rdfc-2022');
    const signed = await vc.signPresentation({
      presentation: structuredClone(req.presentation),
      suite,
      challenge: req.challenge,
      domain: req.domain,
      documentLoader: local.documentLoader
    });
    return {signed};
  },

  async 'verify-dcc'(req, local) {
    // verifier-core takes no document loader: its own loader, status checks,
    // registry lookups and schema checks reach out through fetch(), which
    // main() has pointed at local data (LocalDocuments.fetch).
    const {verifyCredential} = await import('@digitalcredentials/verifier-core');
    const result = toJson(await verifyCredential({
      credential: req.credential,
      knownDIDRegistries: req.knownDIDRegistries ?? req.knownDidRegistries ?? []
    }));
    const step = id => (result.log ?? []).find(entry => entry.id === id) ?? null;
    const errors = (result.errors ?? []).map(e => ({
      name: e.name, message: e.message
    }));
    return {
      valid_signature: step('valid_signature')?.valid === true &&
        errors.length === 0,
      revocation_status: step('revocation_status'),
      expiration: step('expiration'),
      errors,
      result
    };
  },

  // RDFC-1.0 N-Quads exactly as eddsa-rdfc-2022 hashes them: the
  // cryptosuite's own canonize (jsonld.toRDF with safe: true, base: null,
  // rdfDirection: 'i18n-datatype', then rdf-canonize), so Python can compare
  // byte for byte, control-character escaping included.
  // `messageDigestAlgorithm` ('SHA-384') is RDFC-1.0's hash parameter, as
  // ecdsa-rdfc-2019 sets it for P-384 keys.
  async canonize(req, local) {
    const nquads = await eddsaRdfc2022.canonize(req.document, {
      documentLoader: local.documentLoader,
      ...(req.messageDigestAlgorithm &&
        {messageDigestAlgorithm: req.messageDigestAlgorithm})
    });
    return {nquads};
  },

  // Reference figures for bench/sign_verify.py: Digital Bazaar's eddsa-rdfc-2022
  // sign and verify rates on the same credential, measured in the same run.
  async bench(req, local) {
    const seconds = req.seconds ?? 3;
    const suite = await signingSuite(req, 'eddsa-rdfc-2022');
    const rate = async fn => {
      await fn(); // warm caches (contexts) before timing
      let count = 0;
      const started = process.hrtime.bigint();
      const limit = BigInt(Math.round(seconds * 1e9));
      while(process.hrtime.bigint() - started < limit) {
        await fn();
        count++;
      }
      return count / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    let signed;
    const signPerS = await rate(async () => {
      signed = await vc.issue({
        credential: structuredClone(req.credential), suite,
        documentLoader: local.documentLoader
      });
    });
    const verifyPerS = await rate(async () => {
      const result = await vc.verifyCredential({
        credential: signed, suite: verifySuites(),
        documentLoader: local.documentLoader
      });
      if(!result.verified) {
        throw new Error('reference verification failed');
      }
    });
    return {
      sign_per_s: signPerS, verify_per_s: verifyPerS,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024
    };
  }
};

async function signCredential(req, local, cryptosuite) {
  const signed = await vc.issue({
    credential: structuredClone(req.credential),
    suite: await signingSuite(req, cryptosuite),
    documentLoader: local.documentLoader
  });
  return {signed};
}

// --------------------------------------------------------------------- main

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', chunk => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString()));
    process.stdin.on('error', reject);
  });
}

// Run one request with its own documents; the result as main() prints it.
async function runOne(req) {
  let local;
  try {
    const op = ops[req.op];
    if(!op) {
      throw new TypeError(`unknown op "${req.op}"; ops: ` +
        Object.keys(ops).join(', '));
    }
    local = new LocalDocuments({
      documents: req.documents,
      contextsDir: req.contextsDir ?
        path.resolve(req.contextsDir) : DEFAULT_CONTEXTS_DIR,
      bundled: await bundledContexts()
    });
    globalThis.fetch = local.fetch;
    const result = await op(req, local);
    return {
      ok: true, op: req.op, ...result,
      contexts: local.manifest.manifestPath ? 'manifest' : 'bundled',
      ...local.report()
    };
  } catch(error) {
    process.stderr.write(`interop harness: ${error?.stack ?? error}\n`);
    return {ok: false, op: req.op, error: toJson(error),
      ...(local && local.report())};
  }
}

async function main() {
  let req;
  try {
    req = JSON.parse(await readStdin());
  } catch(error) {
    process.stderr.write(`interop harness: ${error?.stack ?? error}\n`);
    process.stdout.write(JSON.stringify({ok: false, error: toJson(error)}) + '\n');
    process.exitCode = 1;
    return;
  }
  // {"op": "batch", "requests": [...]}: one node process for many requests
  // (each with its own documents), {"results": [...]} in the same order.
  if(req.op === 'batch') {
    const results = [];
    for(const one of req.requests ?? []) {
      results.push(await runOne(one));
    }
    process.stdout.write(JSON.stringify({ok: true, op: 'batch', results}) + '\n');
    return;
  }
  // any library that fetches gets local data or a 404, never the network
  const result = await runOne(req);
  process.stdout.write(JSON.stringify(result) + '\n');
  if(!result.ok) {
    process.exitCode = 1;
  }
}

await main();
