import { Page } from '../../shared/ui';

export default function Withdraw() {
  return <Page title="Withdraw">{null}</Page>;
}
