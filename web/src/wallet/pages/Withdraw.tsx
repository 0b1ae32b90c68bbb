/** Withdraw from the wallet to a bound card (with the PIN above the low-value exemption). */
import { CardMovement } from './money/CardMovement';

export default function Withdraw() {
  return <CardMovement kind="withdrawals" />;
}
