import { Page } from '../../shared/ui';

export default function PaymentPin() {
  return <Page title="PaymentPin">{null}</Page>;
}
