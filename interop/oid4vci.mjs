#!/usr/bin/env node
/*
 * The wallet side of OpenID4VCI 1.0 (pre-authorized code flow), driven by the
 * OpenWallet Foundation's @openid4vc/openid4vci client, against a running
 * microcred service (tests/interop/test_oid4vci_interop.py starts one).
 *
 *   echo '{"offer": "openid-credential-offer://?credential_offer_uri=…",
 *          "configuration": "OpenBadgeCredential_ldp_vc", "keyType": "Ed25519"}' \
 *     | node interop/oid4vci.mjs
 *
 * Request: `offer` (the link a claim page shows; or `claim`, a claim page's URL,
 * whose OpenID4VCI offer is taken as an educator presses its button; `save`, a
 * file to write the credential to), `configuration` (one of the
 * offer's credential_configuration_ids), `keyType` (`Ed25519`: the proof names
 * its key by a did:key `kid`; `P-256`: by a bare `jwk` header, which the issuer
 * binds as did:jwk), `txCode` (when the offer asks for one), `allowHttp` (the
 * test service runs on http://127.0.0.1).
 *
 * Steps, each the library's own: resolve the offer (by reference) → issuer
 * metadata (path-inserted well-known URL) → AS metadata → token → nonce → key
 * proof (signed here with node:crypto) → credential. For a jwt_vc_json
 * credential it also checks the VC-JWT itself: the issuer's did:key `kid`
 * resolved with Digital Bazaar's did:key driver, the signature with node:crypto
 * (alg EdDSA), and `sub` / credentialSubject.id = the wallet's DID.
 *
 * One JSON line on stdout: {ok: true, holder: {did?, jwk}, credentialIssuer,
 * version, credential, jwt?: {...}}; exit 1 with {ok: false, error} otherwise.
 */
import crypto from 'node:crypto';
import {format} from 'node:util';
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {
  Openid4vciClient, setGlobalConfig as setVciConfig
} from '@openid4vc/openid4vci';
import {
  clientAuthenticationAnonymous, setGlobalConfig, HashAlgorithm
} from '@openid4vc/oauth2';

import {linkFromClaim, save} from './claim.mjs';

for(const level of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[level] = (...args) => process.stderr.write(format(...args) + '\n');
}

const b64url = buffer => Buffer.from(buffer).toString('base64url');
const json64 = value => b64url(JSON.stringify(value));

async function readStdin() {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
  }
  return JSON.parse(text);
}

/** A fresh holder key and how a key proof names it. */
async function holderKey(keyType) {
  if(keyType === 'Ed25519') {
    const {privateKey, publicKey} = crypto.generateKeyPairSync('ed25519');
    const jwk = publicKey.export({format: 'jwk'});
    const multikey = await Ed25519Multikey.fromJwk({jwk});
    const did = `did:key:${multikey.publicKeyMultibase}`;
    return {
      privateKey, jwk, did, alg: 'EdDSA',
      signer: {method: 'did', didUrl: `${did}#${multikey.publicKeyMultibase}`,
        alg: 'EdDSA'}
    };
  }
  if(keyType === 'P-256') {
    const {privateKey, publicKey} = crypto.generateKeyPairSync(
      'ec', {namedCurve: 'P-256'});
    const jwk = publicKey.export({format: 'jwk'});
    return {
      privateKey, jwk, did: null, alg: 'ES256',
      signer: {method: 'jwk', publicJwk: jwk, alg: 'ES256'}
    };
  }
  throw new Error(`unknown keyType ${keyType}`);
}

function sign(alg, privateKey, data) {
  return alg === 'EdDSA' ?
    crypto.sign(null, data, privateKey) :
    crypto.sign('sha256', data, {key: privateKey, dsaEncoding: 'ieee-p1363'});
}

/** The VC-JWT's own checks, with nothing of microcred's. */
async function checkJwt(token, holder) {
  const [header64, payload64, signature64] = token.split('.');
  const header = JSON.parse(Buffer.from(header64, 'base64url'));
  const payload = JSON.parse(Buffer.from(payload64, 'base64url'));
  const driver = didKey.driver();
  driver.use({
    multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from
  });
  const method = await driver.get({url: header.kid});
  const keyPair = await Ed25519Multikey.from(method);
  const jwk = await Ed25519Multikey.toJwk({keyPair});
  const verified = header.alg === 'EdDSA' && crypto.verify(
    null, Buffer.from(`${header64}.${payload64}`),
    crypto.createPublicKey({key: jwk, format: 'jwk'}),
    Buffer.from(signature64, 'base64url'));
  return {
    verified, header, sub: payload.sub, iss: payload.iss,
    subjectId: payload.credentialSubject?.id,
    issuerKeyController: method.controller,
    payload
  };
}

async function main() {
  const request = await readStdin();
  if(request.allowHttp) {
    setGlobalConfig({allowInsecureUrls: true});
    setVciConfig({allowInsecureUrls: true});
  }
  const holder = await holderKey(request.keyType ?? 'Ed25519');
  const client = new Openid4vciClient({
    callbacks: {
      fetch,
      generateRandom: bytes => crypto.randomBytes(bytes),
      hash: (data, alg) => crypto.createHash(
        alg === HashAlgorithm.Sha256 ? 'sha256' : alg.replace('-', '')
          .toLowerCase()).update(data).digest(),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, {header, payload}) => {
        const input = `${json64(header)}.${json64(payload)}`;
        const signature = sign(signer.alg, holder.privateKey, Buffer.from(input));
        return {jwt: `${input}.${b64url(signature)}`, signerJwk: holder.jwk};
      }
    }
  });

  if(request.claim) {
    request.offer = await linkFromClaim(request.claim, wallets => wallets.oid4vci.offer);
  }
  const offer = await client.resolveCredentialOffer(request.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(
    offer.credential_issuer);
  const {accessTokenResponse} =
    await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata, txCode: request.txCode
    });
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const {jwt: proof} = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: request.configuration,
    signer: holder.signer, nonce, issuedAt: new Date()
  });
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata, credentialConfigurationId: request.configuration,
    accessToken: accessTokenResponse.access_token,
    proofs: {jwt: [proof]}
  });
  const [{credential}] = credentialResponse.credentials;
  const result = {
    ok: true,
    holder: {did: holder.did, jwk: holder.jwk},
    credentialIssuer: issuerMetadata.credentialIssuer.credential_issuer,
    version: issuerMetadata.originalDraftVersion,
    offer,
    tokenType: accessTokenResponse.token_type,
    credential
  };
  if(typeof credential === 'string') {
    result.jwt = await checkJwt(credential, holder);
  }
  save(request.save, credential);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  const detail = error.response ?
    {status: error.response.status} : {};
  process.stdout.write(JSON.stringify({
    ok: false,
    error: {name: error.name, message: String(error.message), ...detail,
      text: error.responseText ?? error.text ?? undefined}
  }) + '\n');
  process.exit(1);
});
