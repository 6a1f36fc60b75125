/*
 * What an educator does before a wallet takes over: open the claim page from
 * the email and press a wallet's button. Here the claim page is read as JSON
 * (`Accept: application/json`: the same links the page shows as buttons and QR
 * codes), so the README's walkthrough can hand a wallet script the claim link
 * itself; and the credential a wallet stored can be saved to a file for
 * `microcred verify`.
 */
import {writeFileSync} from 'node:fs';

// The wallet link `pick` chooses from a claim page's JSON (`wallets` member).
export async function linkFromClaim(claimUrl, pick) {
  const response = await fetch(claimUrl, {headers: {accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`the claim page answered ${response.status}`);
  }
  const page = await response.json();
  if(!page.wallets) {
    throw new Error(`the claim page offers no wallet (the credential is ${page.status})`);
  }
  return pick(page.wallets);
}

// Write what the wallet received to `path` (JSON, or a VC-JWT as it is).
export function save(path, credential) {
  if(path) {
    writeFileSync(path, typeof credential === 'string' ?
      credential + '\n' : JSON.stringify(credential, null, 2) + '\n');
  }
}
