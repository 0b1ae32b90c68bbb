/** Top up the wallet from a bound card. */
import { CardMovement } from './money/CardMovement';

export default function TopUp() {
  return <CardMovement kind="topups" />;
}
