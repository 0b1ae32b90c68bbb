/**
 * Payment request URIs of the wallet (NFC tags, shared links): `/pay/<EMVCo payload>` on this
 * origin, written and read with the NDEF codec's `paymentRequestUri` / `paymentPayloadFromUri`.
 */
export function payRequestBase(): string {
  return `${window.location.origin}/pay/`;
}
