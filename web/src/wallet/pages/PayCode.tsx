import { Page } from '../../shared/ui';

export default function PayCode() {
  return <Page title="PayCode">{null}</Page>;
}
